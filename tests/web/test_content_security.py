"""Content-Security-Policy: no page carries inline script or style, and every page says so."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from journey.web.accounts.roles import Role
from tests.web import test_security as security
from tests.web.url_walk import GUARDED_VIEWS

# The security tests' fixtures: a loaded extract with child-level markers, URL examples.
loaded = security.loaded
examples = security.examples
_body, _signed_in, _url = security._body, security._signed_in, security._url

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: address"),
    (re.compile(r"\shx-on\b|hx-vals=['\"]js:", re.I), "htmx script"),
]


def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def _problems(html: str) -> list[str]:
    return [what for pattern, what in INLINE if pattern.search(html)]


def test_the_policy_allows_scripts_and_styles_only_from_this_site(client, db):
    policy = _policy(client.get(reverse("accounts:login")))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.parametrize("role", [Role.DATA_TEAM, Role.DIRECTOR, Role.ADMINISTRATOR,
                                  Role.BOARD_MEMBER], ids=lambda r: r.value)
def test_no_page_has_inline_script_or_style_and_every_page_has_the_policy(
    loaded, examples, make_user, role
):
    client = _signed_in(make_user, role, f"csp-{role.value}")
    checked = 0
    for name, pattern in GUARDED_VIEWS:
        url = _url(name, pattern, examples)
        for params in ({}, {"month": "2023-06"}):
            response = client.get(url, params)
            if response.get("Content-Type", "").startswith("text/html"):
                html = _body(response)
                assert _problems(html) == [], (name, params, _problems(html))
                assert "'unsafe-inline'" not in response["Content-Security-Policy"], name
                checked += 1
    assert checked > 20


def test_the_sign_in_and_error_pages_have_no_inline_script_or_style(client, db):
    from django.template.loader import render_to_string

    assert _problems(client.get(reverse("accounts:login")).content.decode()) == []
    for template in ("403.html", "404.html", "500.html", "accounts/locked_out.html"):
        assert _problems(render_to_string(template, {})) == [], template


def test_the_scripts_that_were_inline_are_served_as_files(client, db):
    html = client.get(reverse("accounts:login")).content.decode()
    for path in re.findall(r'<script[^>]*src="([^"]+)"', html):
        assert client.get(path).status_code == 200, path
