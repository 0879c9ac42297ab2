"""Single sign-on with the council's identity provider (OpenID Connect, e.g. Microsoft Entra ID).

mozilla-django-oidc does the protocol (authorisation code flow with PKCE, state, nonce,
signature check against the provider's keys). This module adds what a council needs:

* the provider's endpoints come from its discovery document
  (``JOURNEY_OIDC_DISCOVERY_URL``, for Entra ID
  ``https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration``),
  fetched once per process;
* the ID token's issuer and audience are checked (the library checks only the signature
  and nonce), so a token the provider issued to another application is refused;
* the council's groups decide the role: ``JOURNEY_OIDC_GROUP_ROLES`` maps group ids (Entra
  ID object ids, from the token's ``groups`` claim) to roles, the first match in that order
  wins; someone in none of the groups is refused, and a change of group changes the role at
  the next sign-in (audited);
* a person is recognised by the provider's issuer and subject, never by e-mail or name, and
  a local account with the same username is never taken over.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from journey.web.accounts import audit
from journey.web.accounts.models import User
from journey.web.accounts.roles import Role

logger = logging.getLogger(__name__)

_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_documents: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_DISCOVERY_URL", ""))


def discovery() -> dict[str, Any]:
    """The provider's discovery document, fetched on first use and kept for the process."""
    url = settings.OIDC_DISCOVERY_URL
    with _lock:
        if url not in _documents:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
            missing = [key for key in (*_DISCOVERED.values(), "issuer") if key not in document]
            if missing:
                raise SuspiciousOperation(f"The discovery document lacks {', '.join(missing)}")
            _documents[url] = document
        return _documents[url]


def oidc_setting(attr: str, *default: Any) -> Any:
    if attr in _DISCOVERED:
        return discovery()[_DISCOVERED[attr]]
    return import_from_settings(attr, *default)


def group_roles() -> list[tuple[str, Role]]:
    """``JOURNEY_OIDC_GROUP_ROLES`` as (group id, role) pairs, in the order given."""
    return [(group, Role(role)) for group, role in settings.OIDC_GROUP_ROLES]


def role_for(groups: list[str]) -> Role | None:
    member_of = set(groups)
    for group, role in group_roles():
        if group in member_of:
            return role
    return None


class Refused(PermissionDenied):
    """Sign-in refused for a reason the audit log records (Django stops trying backends)."""


class CouncilOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with discovery, issuer/audience checks and group roles."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = User
        self.enabled = enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not self.enabled:
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> User | None:
        return ModelBackend().get_user(user_id)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        if payload.get("iss") != discovery()["issuer"]:
            raise SuspiciousOperation("The ID token was issued by another provider")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued to another application")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict:
        # Entra ID puts groups in the ID token, not in the user-info answer: keep both.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub")) and bool(claims.get("iss"))

    @staticmethod
    def subject(claims: dict[str, Any]) -> str:
        return f"{claims['iss']}|{claims['sub']}"

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return User.objects.filter(oidc_subject=self.subject(claims))

    def _role(self, claims: dict[str, Any], username: str) -> Role:
        if "_claim_names" in claims and settings.OIDC_GROUPS_CLAIM not in claims:
            self._refuse(username, "the person is in too many groups for the token to list them")
        groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
        role = role_for([str(g) for g in groups])
        if role is None:
            self._refuse(username, "the person is in none of the groups mapped to a role")
        assert role is not None
        return role

    def _refuse(self, username: str, reason: str) -> None:
        audit.record(None, "single_sign_on_refused", username, reason=reason)
        raise Refused(reason)

    @staticmethod
    def _username(claims: dict[str, Any]) -> str:
        name = claims.get("preferred_username") or claims.get("email") or claims["sub"]
        return str(name).strip().lower()[:150]

    def create_user(self, claims: dict[str, Any]) -> User:
        username = self._username(claims)
        role = self._role(claims, username)
        if User.objects.filter(username__iexact=username).exists():
            self._refuse(username, "a local account already has this username")
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=None,  # unusable: this person signs in only through the provider
                role=role.value,
                display_name=str(claims.get("name", ""))[:150],
                email=str(claims.get("email", ""))[:254],
                oidc_subject=self.subject(claims),
            )
            audit.record(None, "created_user", username, role=role.value, via="single sign-on")
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        role = self._role(claims, user.username)
        if role.value != user.role:
            audit.record(
                None, "changed_role", user.username, old=user.role, new=role.value,
                via="single sign-on groups",
            )
            user.role = role.value
        user.display_name = str(claims.get("name", user.display_name))[:150]
        user.email = str(claims.get("email", user.email))[:254]
        user.save(update_fields=["role", "display_name", "email"])
        return user


class SignInWithProvider(OIDCAuthenticationRequestView):
    """Send the browser to the council's provider (404 when single sign-on is not set up)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if enabled():
            super().__init__(*args, **kwargs)

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def get(self, request: Any) -> Any:
        from django.http import Http404

        if not enabled():
            raise Http404("Single sign-on is not set up")
        return super().get(request)


class ReturnFromProvider(OIDCAuthenticationCallbackView):
    """The provider's answer: signs the person in, or back to the sign-in page saying why not."""

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    def get(self, request: Any) -> Any:
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException, ValueError) as exc:
            # A forged or stale answer, a token for another application, the provider down.
            logger.warning("Single sign-on failed: %s", exc)
            audit.record(None, "single_sign_on_refused", "", reason=str(exc)[:200])
            return self.login_failure()
