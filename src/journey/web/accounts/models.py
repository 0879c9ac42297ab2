"""Users with one role each, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from journey.web.accounts.roles import Capability, Role, capabilities_of


class User(AbstractUser):
    role = models.CharField(
        max_length=32,
        choices=[(role.value, role.label) for role in Role],
        default=Role.BOARD_MEMBER.value,
    )
    display_name = models.CharField(max_length=150, blank=True)
    #: The council identity provider's ``iss`` and ``sub`` for a user who signs in with
    #: single sign-on (OpenID Connect); blank for a local account with a password.
    oidc_subject = models.CharField(max_length=255, unique=True, null=True, blank=True)

    def can(self, capability: Capability) -> bool:
        return self.is_active and capability in capabilities_of(self.role)

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Team(models.Model):
    """A named group of accounts — a team, or a post such as "Head of Front Door" — that the
    plan may name as the owner of measures and actions (``accounts.ownership``)."""

    name = models.CharField(max_length=150, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEvent(models.Model):
    """One thing someone did or saw that must be accountable: never edited, never deleted."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target}"
