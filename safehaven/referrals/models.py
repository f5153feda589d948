"""Closed-loop referrals to community partners (SDOH Clinical Care IG shape).

A referral is a request to a partner's service (FHIR ServiceRequest) tracked by a
task whose status uses the FHIR Task codes. Every status change is kept as a
`ReferralEvent`. Partners without an account use a single-referral `PartnerLink`
(only a hash of the token is stored); partners with an account are linked to their
directory organisation by a `PartnerAccount`.
"""

import hashlib
import json
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.lib.fields import EncryptedTextField
from safehaven.lib.models import ChoiceLabels
from safehaven.people.models import Person

# FHIR Task.status codes used by the SDOH Clinical Care IG.
STATUSES = [
    ("draft", _("Draft")),
    ("requested", _("Sent, waiting for an answer")),
    ("accepted", _("Accepted")),
    ("rejected", _("Declined by the partner")),
    ("in-progress", _("In progress")),
    ("on-hold", _("On hold")),
    ("failed", _("Did not work out")),
    ("completed", _("Completed")),
    ("cancelled", _("Cancelled")),
    ("entered-in-error", _("Entered in error")),
]
STATUS_CODES = [code for code, _label in STATUSES]
OPEN_STATUSES = ("draft", "requested", "accepted", "in-progress", "on-hold")
CLOSED_STATUSES = ("rejected", "failed", "completed", "cancelled", "entered-in-error")

# Allowed status changes. entered-in-error is reachable from everywhere except itself.
TRANSITIONS: dict[str, set[str]] = {
    "draft": {"requested", "cancelled"},
    "requested": {"accepted", "rejected", "cancelled"},
    "accepted": {"in-progress", "on-hold", "completed", "failed", "cancelled"},
    "in-progress": {"on-hold", "completed", "failed", "cancelled"},
    "on-hold": {"in-progress", "completed", "failed", "cancelled"},
    "rejected": set(),
    "failed": set(),
    "completed": set(),
    "cancelled": set(),
    "entered-in-error": set(),
}
for _code, _targets in TRANSITIONS.items():
    if _code != "entered-in-error":
        _targets.add("entered-in-error")

# Changes a partner (by link or account) may make; the clinic does the rest.
PARTNER_TRANSITIONS: dict[str, set[str]] = {
    "requested": {"accepted", "rejected"},
    "accepted": {"in-progress", "on-hold", "completed", "failed"},
    "in-progress": {"on-hold", "completed", "failed"},
    "on-hold": {"in-progress", "completed", "failed"},
}
# Statuses that need a reason (rejected, failed) or what was provided (completed).
NEEDS_REASON = {"rejected", "failed", "cancelled", "entered-in-error"}
NEEDS_OUTCOME = {"completed"}

# Need domains of the needs assessment (the codes of safehaven.careplans' default
# domains), each with the SDOH Clinical Care category code ("sdoh-category-unspecified"
# where none fits), the consent recipient category of a partner meeting that need, and
# the directory's need domain used to search for services.
NEED_DOMAINS = [
    ("immediate-safety", _("Immediate safety"), "sdoh-category-unspecified", "victim_services", "safety"),
    ("housing", _("Shelter and housing"), "housing-instability", "housing", "housing"),
    ("basic-needs", _("Food, clothing, hygiene"), "food-insecurity", "social_services", "food"),
    ("communication", _("Phone and communication"), "sdoh-category-unspecified", "social_services", ""),
    ("acute-medical", _("Acute medical"), "sdoh-category-unspecified", "health_care", "medical"),
    ("chronic-medicines", _("Chronic conditions and medicines"), "sdoh-category-unspecified", "health_care", "medical"),
    ("sexual-reproductive", _("Sexual and reproductive health"), "sdoh-category-unspecified", "health_care", "medical"),
    ("mental-health", _("Mental health"), "sdoh-category-unspecified", "health_care", "mental_health"),
    ("substance-use", _("Substance use"), "sdoh-category-unspecified", "health_care", "substance_use"),
    ("legal", _("Legal"), "sdoh-category-unspecified", "legal_services", "legal"),
    ("immigration", _("Immigration"), "sdoh-category-unspecified", "legal_services", "immigration"),
    ("identity-documents", _("Identity documents"), "sdoh-category-unspecified", "social_services", "documents"),
    ("income-benefits", _("Income and benefits"), "financial-insecurity", "social_services", "income"),
    ("employment", _("Employment and job training"), "employment-status", "social_services", "employment"),
    ("education", _("Education re-entry"), "educational-attainment", "social_services", "education"),
    ("family-reunification", _("Family reunification"), "sdoh-category-unspecified", "social_services", "family"),
    ("family-reconciliation", _("Family reconciliation"), "sdoh-category-unspecified", "social_services", "family"),
    ("children-childcare", _("Children and childcare"), "sdoh-category-unspecified", "social_services", "childcare"),
    ("transportation", _("Transportation"), "transportation-insecurity", "social_services", "transportation"),
    ("social-support", _("Social and peer support"), "social-connection", "social_services", ""),
    ("life-skills", _("Life skills"), "sdoh-category-unspecified", "social_services", ""),
]
NEED_CHOICES = [(row[0], row[1]) for row in NEED_DOMAINS]
NEED_SDOH = {row[0]: row[2] for row in NEED_DOMAINS}
NEED_RECIPIENT = {row[0]: row[3] for row in NEED_DOMAINS}
NEED_DIRECTORY = {row[0]: row[4] for row in NEED_DOMAINS}

PRIORITIES = [("routine", _("Routine")), ("urgent", _("Urgent"))]

ACTOR_KINDS = [
    ("staff", _("Clinic staff")),
    ("partner_link", _("Partner, by link")),
    ("partner_account", _("Partner, signed in")),
    ("fhir_import", _("FHIR task update")),
]


def hash_token(token: str) -> str:
    """Return the stored form of a partner link token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ReferralPolicy(ChoiceLabels, models.Model):
    """A site's loop-closure setting, editable by the clinic administrator."""

    data_classification = {
        "id": "none",
        "site": "none",
        "stale_after_business_days": "none",
        "link_valid_days": "none",
        "updated_at": "none",
    }

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="referral_policy")
    stale_after_business_days = models.PositiveSmallIntegerField(
        _("business days without an answer before a referral needs follow-up"),
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("days a partner link stays valid"),
        default=14, validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"referral policy of {self.site_id}"


class Referral(ChoiceLabels, models.Model):
    """A request for help from a partner's service, and where it stands."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "site": "none",
        "need_domain": "sensitive",
        "goal_ref": "none",
        "service": "none",
        "organization": "none",
        "service_name": "none",
        "organization_name": "none",
        "priority": "clinical",
        "requested_categories": "consent",
        "summaries": "sensitive-encrypted",
        "packet": "sensitive-encrypted",
        "packet_categories": "consent",
        "status": "clinical",
        "status_reason": "sensitive-encrypted",
        "outcome": "sensitive-encrypted",
        "created_by": "none",
        "created_at": "none",
        "requested_at": "none",
        "responded_at": "none",
        "status_changed_at": "none",
        "updated_at": "none",
        "version": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="referrals")
    need_domain = models.CharField(_("need"), max_length=40)
    # Public id of a care-plan goal, when the referral starts from one.
    goal_ref = models.CharField(max_length=64, blank=True)
    service = models.ForeignKey(
        "directory.Service", null=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    organization = models.ForeignKey(
        "directory.Organization", null=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    # Names as they were when the referral was made (the directory may change later).
    service_name = models.CharField(max_length=300)
    organization_name = models.CharField(max_length=300)
    priority = models.CharField(_("priority"), max_length=10, choices=PRIORITIES, default="routine")
    # What the clinic asked to share, and the staff-written text for each category.
    requested_categories = models.JSONField(default=list)
    summaries = EncryptedTextField(blank=True)  # JSON {category: text}
    # The packet as sent (JSON), and the categories it holds.
    packet = EncryptedTextField(blank=True)
    packet_categories = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=20, choices=STATUSES, default="draft")
    status_reason = EncryptedTextField(_("reason"), blank=True)
    outcome = EncryptedTextField(_("what was provided"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    requested_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="referral_person_created"),
            models.Index(fields=["status", "requested_at"], name="referral_status_requested"),
            models.Index(fields=["organization", "status"], name="referral_org_status"),
        ]

    def __str__(self) -> str:
        return f"referral {self.public_id}"

    @property
    def summary_map(self) -> dict[str, str]:
        return json.loads(self.summaries) if self.summaries else {}

    @property
    def packet_data(self) -> dict:
        return json.loads(self.packet) if self.packet else {}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def allowed_next(self, *, partner: bool = False) -> list[str]:
        """Return the statuses this referral may move to next, in lifecycle order."""
        targets = (PARTNER_TRANSITIONS if partner else TRANSITIONS).get(self.status, set())
        return [code for code in STATUS_CODES if code in targets]


class ReferralEvent(ChoiceLabels, models.Model):
    """One change of a referral's status: who, when, from what to what, and why."""

    data_classification = {
        "id": "none",
        "referral": "none",
        "from_status": "clinical",
        "to_status": "clinical",
        "at": "none",
        "actor_kind": "none",
        "actor": "none",
        "actor_label": "identifying",
        "note": "sensitive-encrypted",
    }

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=STATUSES)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=20, choices=ACTOR_KINDS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class PartnerLink(ChoiceLabels, models.Model):
    """A single-referral link for a partner without an account: expiring and revocable."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "referral": "none",
        "token_hash": "secret-hash",
        "created_by": "none",
        "created_at": "none",
        "expires_at": "none",
        "revoked_at": "none",
        "revoked_by": "none",
        "last_used_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"partner link {self.public_id}"

    def is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and at < self.expires_at


class PartnerAccount(ChoiceLabels, models.Model):
    """Links a staff account holding the partner role to its directory organisation."""

    data_classification = {
        "id": "none",
        "user": "none",
        "organization": "none",
        "active": "none",
        "created_at": "none",
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_accounts"
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="partner_accounts"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_partner_account_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} for {self.organization_id}"


HELP_ANSWERS = [
    ("yes", _("Yes, they got the help")),
    ("partly", _("Partly")),
    ("no", _("No")),
    ("declined", _("They preferred not to say")),
]


class HelpCheck(ChoiceLabels, models.Model):
    """After a completed referral: ask the person whether they got the help (a task for the advocate)."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "referral": "none",
        "person": "none",
        "assigned_to": "none",
        "channel": "none",
        "created_at": "none",
        "answer": "sensitive",
        "comment": "sensitive-encrypted",
        "answered_at": "none",
        "answered_by": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="help_check")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # "advocate_task" (ask at the next contact) or "reminder" (sent by the follow-up capability).
    channel = models.CharField(max_length=20, default="advocate_task")
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(_("did they get the help?"), max_length=10, choices=HELP_ANSWERS, blank=True)
    comment = EncryptedTextField(_("in their words"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"help check {self.public_id}"
