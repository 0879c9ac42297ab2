"""Every view declares the capability it needs, and every role gets exactly that access.

A new view without ``@requires(...)`` or ``@public`` fails here. URLs that take
arguments need an example in ``tests/web/url_examples.py`` (which creates the
objects they point at), so they are exercised too.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from journey.web.accounts.roles import Role, capabilities_of
from tests.web.url_walk import ALL_VIEWS, GUARDED_VIEWS, capability_of


@pytest.mark.parametrize("name,pattern", ALL_VIEWS, ids=[name for name, _ in ALL_VIEWS])
def test_every_view_declares_who_may_use_it(name, pattern):
    assert capability_of(pattern.callback) is not None, f"{name} has no @requires or @public"


@pytest.fixture
def example_kwargs(request, db):
    """Arguments for URLs that need them; apps register builders in tests/web/url_examples.py."""
    from tests.web.url_examples import build_examples

    return build_examples()




@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("name,pattern", GUARDED_VIEWS, ids=[name for name, _ in GUARDED_VIEWS])
def test_each_role_reaches_exactly_the_views_its_capabilities_allow(
    name, pattern, role, client_for, example_kwargs
):
    client = client_for(role)
    kwargs = example_kwargs.get(name, {}) if pattern.pattern.converters else {}
    if pattern.pattern.converters and name not in example_kwargs:
        pytest.fail(f"{name} takes arguments: add an example to tests/web/url_examples.py")
    response = client.get(reverse(name, kwargs=kwargs))
    allowed = capability_of(pattern.callback) in capabilities_of(role)
    if allowed:
        assert response.status_code != 403, f"{role} should reach {name}"
    else:
        assert response.status_code == 403, f"{role} must be refused {name}"


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("plans:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
