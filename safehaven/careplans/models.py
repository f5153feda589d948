"""Needs assessment, care plan in the person's own words, safety plan and case management."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.lib.fields import EncryptedTextField
from safehaven.lib.models import ChoiceLabels
from safehaven.people.models import CONTACT_CHANNELS, Person

# Needs statuses, most pressing first. "crisis" and "urgent" become FHIR Conditions.
NEED_STATUSES = [
    ("crisis", _("Crisis")),
    ("urgent", _("Urgent need")),
    ("need", _("Need")),
    ("stable", _("Stable")),
    ("declined", _("Declined to discuss")),
    ("not_assessed", _("Not assessed")),
]
NEED_STATUS_RANK = {code: rank for rank, (code, _label) in enumerate(NEED_STATUSES)}
HEALTH_CONCERN_STATUSES = {"crisis", "urgent"}

# The person's own priority for a domain.
PRIORITIES = [
    ("", _("Not said")),
    ("high", _("Most important to them now")),
    ("medium", _("Important, not first")),
    ("low", _("Not a priority now")),
]

# FHIR Goal.lifecycleStatus
GOAL_STATUSES = [
    ("proposed", _("Proposed")),
    ("planned", _("Planned")),
    ("accepted", _("Agreed")),
    ("active", _("Working on it")),
    ("on-hold", _("On hold")),
    ("completed", _("Done")),
    ("cancelled", _("Stopped")),
    ("rejected", _("Not wanted")),
    ("entered-in-error", _("Entered in error")),
]
GOAL_OPEN_STATUSES = {"proposed", "planned", "accepted", "active", "on-hold"}
# Which lifecycle moves are allowed (any open status may also be entered in error).
GOAL_TRANSITIONS = {
    "proposed": {"planned", "accepted", "active", "rejected", "cancelled"},
    "planned": {"accepted", "active", "on-hold", "cancelled"},
    "accepted": {"active", "on-hold", "cancelled"},
    "active": {"on-hold", "completed", "cancelled"},
    "on-hold": {"active", "cancelled"},
    "completed": {"active"},
    "cancelled": {"active"},
    "rejected": {"proposed"},
    "entered-in-error": set(),
}

# FHIR CarePlan.status
PLAN_STATUSES = [
    ("draft", _("Draft")),
    ("active", _("Active")),
    ("on-hold", _("On hold")),
    ("completed", _("Completed")),
    ("revoked", _("Stopped")),
    ("entered-in-error", _("Entered in error")),
]

STEP_OWNERS = [
    ("person", _("The person")),
    ("advocate", _("The advocate")),
    ("clinician", _("A clinician")),
    ("partner", _("A partner organisation")),
]
# FHIR Task.status subset used for steps and tasks.
TASK_STATUSES = [
    ("requested", _("To do")),
    ("in-progress", _("In progress")),
    ("on-hold", _("On hold")),
    ("completed", _("Done")),
    ("cancelled", _("Cancelled")),
]
TASK_OPEN_STATUSES = {"requested", "in-progress", "on-hold"}
# FHIR Task.priority
TASK_PRIORITIES = [
    ("routine", _("Routine")),
    ("urgent", _("Urgent")),
    ("asap", _("As soon as possible")),
    ("stat", _("Immediately")),
]
TASK_KINDS = [
    ("general", _("Task")),
    ("urgent_substance_use", _("Urgent substance-use pathway")),
    ("conference_follow_up", _("Case conference follow-up")),
]

CONTACT_ATTEMPT_CHANNELS = CONTACT_CHANNELS + [("letter", _("Letter"))]
CONTACT_OUTCOMES = [
    ("reached", _("Reached them")),
    ("no_answer", _("No answer")),
    ("voicemail", _("Left a voicemail")),
    ("message_sent", _("Message sent")),
    ("someone_else", _("Someone else answered")),
    ("unsafe_stopped", _("Stopped: not safe to talk")),
]


class NeedDomain(ChoiceLabels, models.Model):
    """A domain of need (configurable data; the defaults come from the first migration)."""

    data_classification = {
        "id": "none",
        "code": "configuration",
        "label": "configuration",
        "horizon": "configuration",
        "data_category": "configuration",
        "has_emergency": "configuration",
        "order": "configuration",
        "active": "configuration",
    }
    HORIZONS = [
        ("immediate", _("Immediate")),
        ("ongoing", _("Ongoing")),
        ("long_term", _("Long term")),
    ]

    code = models.SlugField(max_length=40, unique=True)  # stable code, never renamed
    label = models.CharField(max_length=120)
    horizon = models.CharField(max_length=12, choices=HORIZONS, default="ongoing")
    # The consent data category a note in this domain belongs to (consent.models.DATA_CATEGORIES).
    data_category = models.CharField(max_length=30, default="clinical_summary")
    has_emergency = models.BooleanField(default=False)  # opens the urgent pathway
    order = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def display(self) -> str:
        """Return the label in the current language when it is one of the defaults."""
        from safehaven.careplans.domains import translated_label

        return translated_label(self.code, self.label)


class NeedsAssessment(ChoiceLabels, models.Model):
    """One sitting of the needs assessment; later ones are reassessments."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "assessed_by": "none",
        "assessed_at": "clinical",
        "summary": "sensitive-encrypted",
        "created_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="needs_assessments")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)
    summary = EncryptedTextField(_("summary"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["person", "-assessed_at"], name="needs_person_at")]

    def __str__(self) -> str:
        return f"needs assessment {self.public_id}"


class NeedRating(ChoiceLabels, models.Model):
    """The status, the person's priority and notes for one domain in one assessment."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "assessment": "none",
        "domain": "none",
        "status": "clinical",
        "priority": "clinical",
        "emergency": "clinical",
        "notes": "sensitive-encrypted",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="ratings")
    domain = models.ForeignKey(NeedDomain, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=14, choices=NEED_STATUSES, default="not_assessed")
    priority = models.CharField(max_length=8, choices=PRIORITIES, blank=True)
    emergency = models.BooleanField(default=False)
    notes = EncryptedTextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain__order", "domain__code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="one_rating_per_domain")
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}: {self.status}"


class CarePlan(ChoiceLabels, models.Model):
    """A person's plan. One per person; `version` guards against lost updates."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "status": "clinical",
        "print_heading": "sensitive",
        "exit_planning_chosen": "sensitive",
        "exit_planning": "sensitive-encrypted",
        "created_by": "none",
        "created_at": "none",
        "updated_at": "none",
        "version": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="care_plan")
    status = models.CharField(max_length=20, choices=PLAN_STATUSES, default="active")
    # The heading on the printout; empty means the neutral default ("My plan").
    print_heading = models.CharField(_("heading on the printout"), max_length=120, blank=True)
    # Exit planning is optional and led by the person: shown only when they chose it.
    exit_planning_chosen = models.BooleanField(_("they want to plan leaving"), default=False)
    exit_planning = EncryptedTextField(_("exit planning, in their words"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"care plan {self.public_id}"


class Goal(ChoiceLabels, models.Model):
    """A goal in the person's own words, linked to need domains."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "plan": "none",
        "person": "none",
        "description": "sensitive-encrypted",
        "lifecycle_status": "clinical",
        "created_by": "none",
        "created_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="goals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="goals")
    description = EncryptedTextField(_("the goal, in their words"))
    domains = models.ManyToManyField(NeedDomain, blank=True, related_name="+")
    lifecycle_status = models.CharField(max_length=20, choices=GOAL_STATUSES, default="active")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["person", "lifecycle_status"], name="goal_person_status")]

    def __str__(self) -> str:
        return f"goal {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.lifecycle_status in GOAL_OPEN_STATUSES


class Step(ChoiceLabels, models.Model):
    """A step towards a goal, owned by the person, the advocate, a clinician or a partner."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "goal": "none",
        "description": "sensitive-encrypted",
        "owner_kind": "clinical",
        "owner_user": "none",
        "partner_name": "sensitive",
        "due_date": "clinical",
        "status": "clinical",
        "progress": "clinical",
        "created_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    description = EncryptedTextField(_("the step"))
    owner_kind = models.CharField(_("who does it"), max_length=10, choices=STEP_OWNERS)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    partner_name = models.CharField(_("partner"), max_length=150, blank=True)
    due_date = models.DateField(_("by when"), null=True, blank=True)
    status = models.CharField(max_length=12, choices=TASK_STATUSES, default="requested")
    progress = models.PositiveSmallIntegerField(default=0)  # percent, 0..100
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "created_at", "id"]

    def __str__(self) -> str:
        return f"step {self.public_id}"


class SafetyPlan(ChoiceLabels, models.Model):
    """The person's safety plan: the most sensitive record here; care team only."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "safe_places": "safety-encrypted",
        "safe_contacts": "safety-encrypted",
        "code_words": "safety-encrypted",
        "documents_ready": "safety-encrypted",
        "include_in_print": "safety",
        "show_in_emergency_access": "safety",
        "updated_by": "none",
        "updated_at": "none",
        "version": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="safety_plan")
    safe_places = EncryptedTextField(_("safe places"), blank=True)
    safe_contacts = EncryptedTextField(_("safe contacts"), blank=True)
    code_words = EncryptedTextField(_("code words"), blank=True)
    documents_ready = EncryptedTextField(_("documents to keep ready"), blank=True)
    include_in_print = models.BooleanField(_("they want it on their printed plan"), default=False)
    show_in_emergency_access = models.BooleanField(
        _("they allow emergency-access staff to read it"), default=False
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"safety plan {self.public_id}"


class CaseTask(ChoiceLabels, models.Model):
    """A case-management task (FHIR Task codes), e.g. the urgent substance-use pathway."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "kind": "clinical",
        "title": "sensitive",
        "status": "clinical",
        "priority": "clinical",
        "due_date": "clinical",
        "assigned_to": "none",
        "source_rating": "none",
        "source_conference": "none",
        "created_by": "none",
        "created_at": "none",
        "completed_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_tasks")
    kind = models.CharField(max_length=24, choices=TASK_KINDS, default="general")
    title = models.CharField(_("what to do"), max_length=200)
    status = models.CharField(max_length=12, choices=TASK_STATUSES, default="requested")
    priority = models.CharField(max_length=8, choices=TASK_PRIORITIES, default="routine")
    due_date = models.DateField(_("due"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_rating = models.ForeignKey(
        NeedRating, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    source_conference = models.ForeignKey(
        "CaseConference", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "created_at", "id"]
        indexes = [models.Index(fields=["person", "status"], name="casetask_person_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in TASK_OPEN_STATUSES


class ContactAttempt(ChoiceLabels, models.Model):
    """One outreach attempt, with the safety warnings shown and whether staff confirmed them."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "by": "none",
        "at": "contact",
        "channel": "contact",
        "outcome": "contact",
        "note": "sensitive-encrypted",
        "warnings": "contact",
        "confirmed_unsafe": "contact",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_attempts")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("how"), max_length=12, choices=CONTACT_ATTEMPT_CHANNELS)
    outcome = models.CharField(_("what happened"), max_length=16, choices=CONTACT_OUTCOMES)
    note = EncryptedTextField(_("note"), blank=True)
    warnings = models.JSONField(default=list, blank=True)  # codes of the warnings shown
    confirmed_unsafe = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"contact attempt {self.public_id}"


class CaseConference(ChoiceLabels, models.Model):
    """A multidisciplinary case conference about one person."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "held_at": "clinical",
        "created_by": "none",
        "created_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_conferences")
    held_at = models.DateTimeField(_("held on"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"case conference {self.public_id}"


class ConferenceAttendee(ChoiceLabels, models.Model):
    """A staff member, or someone from an outside organisation, at a case conference."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "conference": "none",
        "user": "none",
        "name": "identifying",
        "organisation_label": "none",
        "organisation_ref": "none",
        "recipient_category": "consent",
        "purpose": "consent",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conference = models.ForeignKey(CaseConference, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    organisation_label = models.CharField(_("organisation"), max_length=200, blank=True)
    organisation_ref = models.CharField(max_length=64, blank=True)  # directory public id
    recipient_category = models.CharField(max_length=30, blank=True)
    purpose = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or str(self.user_id)

    @property
    def is_external(self) -> bool:
        return self.user_id is None


class ConferenceDecision(ChoiceLabels, models.Model):
    """A decision of a case conference, tagged with the kind of information it carries."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "conference": "none",
        "text": "sensitive-encrypted",
        "category": "consent",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conference = models.ForeignKey(CaseConference, on_delete=models.CASCADE, related_name="decisions")
    text = EncryptedTextField(_("decision"))
    # consent.models.DATA_CATEGORIES code: decides who outside the clinic may see it.
    category = models.CharField(_("kind of information"), max_length=30, default="clinical_summary")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"decision {self.public_id}"


class HealthConcernManager(models.Manager):
    """Crisis and urgent needs of each person's most recent assessment."""

    def get_queryset(self):
        latest = NeedsAssessment.objects.filter(person=models.OuterRef("assessment__person")).order_by(
            "-assessed_at", "-id"
        ).values("id")[:1]
        return (
            super().get_queryset()
            .filter(status__in=HEALTH_CONCERN_STATUSES)
            .filter(assessment_id=models.Subquery(latest))
        )


class HealthConcern(NeedRating):
    """A need in crisis or urgent at the latest assessment: a FHIR Condition (health concern)."""

    objects = HealthConcernManager()

    class Meta:
        proxy = True
