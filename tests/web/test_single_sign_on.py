"""Single sign-on with the council's identity provider, against a fake provider on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user
from django.urls import reverse

from journey.web.accounts import oidc
from journey.web.accounts.models import AuditEvent, User
from journey.web.accounts.roles import Role
from tests.web.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdentityProvider

DATA_TEAM_GROUP = "6f1c0d8e-0000-4000-8000-00000000da7a"
DIRECTORS_GROUP = "6f1c0d8e-0000-4000-8000-0000000d1ec7"
BOARD_GROUP = "6f1c0d8e-0000-4000-8000-000000000b0a"

SAM = {
    "sub": "x9-pairwise-subject-sam",
    "preferred_username": "Sam.Lead@northfield.gov.uk",
    "name": "Sam Lead",
    "email": "sam.lead@northfield.gov.uk",
    "groups": ["unrelated-group", DATA_TEAM_GROUP],
}


@pytest.fixture
def provider(settings, db):
    with FakeIdentityProvider() as idp:
        settings.OIDC_DISCOVERY_URL = idp.discovery_url
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        # Directors first: someone in both groups signs in as a director.
        settings.OIDC_GROUP_ROLES = [
            (DIRECTORS_GROUP, "director"), (DATA_TEAM_GROUP, "data_team"),
            (BOARD_GROUP, "board_member"),
        ]
        yield idp


def sign_in_at_provider(client, idp, person, next_page=None):
    """What a browser does: to the provider, which sends it back with a code."""
    idp.next_person = person
    start = client.get(reverse("accounts:oidc_start"), {"next": next_page} if next_page else {})
    assert start.status_code == 302, start
    assert start["Location"].startswith(idp.base + "/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlparse(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_a_council_user_signs_in_with_their_account_and_gets_the_role_of_their_group(
    provider, client
):
    response = sign_in_at_provider(client, provider, SAM, next_page="/actions/")
    assert response.status_code == 302 and response["Location"] == "/actions/"
    user = get_user(client)
    assert user.is_authenticated
    assert user.username == "sam.lead@northfield.gov.uk"
    assert user.role == Role.DATA_TEAM.value and user.display_name == "Sam Lead"
    assert user.oidc_subject == f"{provider.base}|{SAM['sub']}"
    assert not user.has_usable_password()
    assert client.get(reverse("plans:dashboard")).status_code == 200
    event = AuditEvent.objects.get(action="created_user")
    assert event.detail == {"role": "data_team", "via": "single sign-on"}
    # The discovery document, keys, token and user-info all came from the provider.
    assert {"/.well-known/openid-configuration", "/jwks", "/token", "/userinfo"} <= set(
        provider.requests
    )


def test_the_first_mapped_group_in_the_settings_decides_the_role(provider, client):
    sign_in_at_provider(client, provider, {**SAM, "groups": [DATA_TEAM_GROUP, DIRECTORS_GROUP]})
    assert get_user(client).role == Role.DIRECTOR.value


def test_a_change_of_group_changes_the_role_at_the_next_sign_in_and_is_audited(provider, client):
    sign_in_at_provider(client, provider, SAM)
    client.logout()
    sign_in_at_provider(client, provider, {**SAM, "groups": [BOARD_GROUP]})
    user = User.objects.get(username="sam.lead@northfield.gov.uk")
    assert user.role == Role.BOARD_MEMBER.value
    assert User.objects.count() == 1
    change = AuditEvent.objects.get(action="changed_role")
    assert change.detail["old"] == "data_team" and change.detail["new"] == "board_member"


def test_someone_in_none_of_the_mapped_groups_is_refused_and_no_account_is_made(provider, client):
    response = sign_in_at_provider(client, provider, {**SAM, "groups": ["unrelated-group"]})
    assert response.status_code == 302 and "single-sign-on=failed" in response["Location"]
    assert not get_user(client).is_authenticated
    assert not User.objects.exists()
    refused = AuditEvent.objects.get(action="single_sign_on_refused")
    assert "none of the groups" in refused.detail["reason"]
    page = client.get(response["Location"]).content.decode()
    assert "Signing in with your council account did not work" in page


def test_a_token_the_provider_issued_to_another_application_is_refused(provider, client):
    provider.token_overrides = {"aud": "some-other-application"}
    response = sign_in_at_provider(client, provider, SAM)
    assert "single-sign-on=failed" in response["Location"]
    assert not get_user(client).is_authenticated and not User.objects.exists()


def test_a_token_from_another_issuer_is_refused(provider, client):
    provider.token_overrides = {"iss": "https://login.example.com/other-tenant/v2.0"}
    response = sign_in_at_provider(client, provider, SAM)
    assert "single-sign-on=failed" in response["Location"]
    assert not get_user(client).is_authenticated


def test_a_token_signed_with_another_key_is_refused(provider, client):
    provider.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = sign_in_at_provider(client, provider, SAM)
    assert "single-sign-on=failed" in response["Location"]
    assert not get_user(client).is_authenticated and not User.objects.exists()


def test_a_local_account_with_the_same_name_is_never_taken_over(provider, client, make_user):
    local = make_user(Role.ADMINISTRATOR, "sam.lead@northfield.gov.uk")
    response = sign_in_at_provider(client, provider, SAM)
    assert "single-sign-on=failed" in response["Location"]
    assert not get_user(client).is_authenticated
    local.refresh_from_db()
    assert local.oidc_subject is None and local.role == Role.ADMINISTRATOR.value
    assert AuditEvent.objects.filter(action="single_sign_on_refused").exists()


def test_a_returned_code_cannot_be_replayed(provider, client):
    provider.next_person = SAM
    start = client.get(reverse("accounts:oidc_start"))
    back = urlparse(
        requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"]
    )
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.logout()
    replay = client.get(f"{back.path}?{back.query}")
    assert replay.status_code in {302, 400}
    assert not get_user(client).is_authenticated


def test_the_sign_in_page_offers_the_council_account_when_single_sign_on_is_set_up(
    provider, client
):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in with your council account" in page
    assert reverse("accounts:oidc_start") in page


def test_without_single_sign_on_set_up_there_is_no_button_and_no_provider_address(client, db):
    assert "council account" not in client.get(reverse("accounts:login")).content.decode()
    assert client.get(reverse("accounts:oidc_start")).status_code == 404


def test_someone_signed_in_with_their_council_account_changes_their_password_there(
    provider, client
):
    sign_in_at_provider(client, provider, SAM)
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "your password is changed there" in page
    assert "Change password</a>" not in client.get(reverse("plans:dashboard")).content.decode()


def test_the_group_to_role_setting_refuses_an_unknown_role():
    from journey.web.env import ConfigurationError, parse_group_roles

    assert parse_group_roles(f"{BOARD_GROUP}=board_member, g2=scrutiny") == [
        (BOARD_GROUP, "board_member"), ("g2", "scrutiny"),
    ]
    with pytest.raises(ConfigurationError, match="superuser"):
        parse_group_roles("g1=superuser")


def test_the_discovery_document_is_fetched_once(provider, client):
    sign_in_at_provider(client, provider, SAM)
    client.logout()
    sign_in_at_provider(client, provider, SAM)
    assert provider.requests.count("/.well-known/openid-configuration") == 1
    assert oidc.discovery()["issuer"] == provider.base
