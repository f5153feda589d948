"""Clinics, sites, staff accounts and the roles they hold."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.permissions import Perm
from safehaven.lib.models import ChoiceLabels


class Organisation(ChoiceLabels, models.Model):
    """A clinic network or a single clinic that owns sites."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(ChoiceLabels, models.Model):
    """A place where care is given; care teams and records belong to a site."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    # Jurisdiction drives mandatory-reporting rules (e.g. "US-CA").
    jurisdiction = models.CharField(_("jurisdiction"), max_length=20, default="US-CA")
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Los_Angeles")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(ChoiceLabels, models.Model):
    """A role is data: a code, a display name and the permissions it grants."""

    code = models.SlugField(unique=True, max_length=40)
    name = models.CharField(max_length=100)
    permissions = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def grants(self, perm: Perm) -> bool:
        """Return whether this role grants the permission."""
        return str(perm) in self.permissions


class User(ChoiceLabels, AbstractUser):
    """A staff account (never a patient). Every account signs in with two factors."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # Gender is recorded only so a patient's clinician-gender preference can be honoured.
    gender = models.CharField(
        _("gender"),
        max_length=20,
        blank=True,
        choices=[("woman", _("Woman")), ("man", _("Man")), ("nonbinary", _("Non-binary"))],
    )
    preferred_language = models.CharField(max_length=8, default="en")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Membership(ChoiceLabels, models.Model):
    """A staff member works at a site in a role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="one_membership_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.site} ({self.role.code})"


class LoginAttempt(ChoiceLabels, models.Model):
    """A failed sign-in, kept to throttle guessing. Keyed by a hash, not the name typed."""

    key = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"failed sign-in at {self.at:%Y-%m-%d %H:%M}"
