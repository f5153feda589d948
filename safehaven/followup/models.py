"""Follow-up protocols, due care, appointments, safe reminders and outreach tasks."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.accounts.models import Site
from safehaven.lib.fields import EncryptedTextField
from safehaven.lib.models import ChoiceLabels
from safehaven.people.models import Person

# Events that start a protocol. Other capabilities may call actions.record_event with these.
EVENTS = [
    ("enrolled", _("Started care at the clinic")),
    ("sti_treated", _("Treated for a sexually transmitted infection")),
    ("exposure", _("Possible exposure to HIV or syphilis")),
    ("pregnancy_test", _("Pregnancy test done")),
    ("hepb_dose1", _("First hepatitis B vaccine dose given")),
    ("chronic_condition", _("Chronic condition or long-term medicine recorded")),
]
EVENT_CODES = [code for code, _label in EVENTS]

STEP_KINDS = [
    ("lab", _("Test")),
    ("vaccine", _("Vaccine")),
    ("visit", _("Visit or exam")),
    ("screen", _("Questionnaire")),
]

# FHIR Task.status codes, the subset a due item goes through.
DUE_STATUSES = [
    ("requested", _("Due")),
    ("completed", _("Done")),
    ("cancelled", _("Not needed")),
]

# FHIR Appointment.status codes.
APPOINTMENT_STATUSES = [
    ("booked", _("Booked")),
    ("arrived", _("Arrived")),
    ("fulfilled", _("Seen")),
    ("cancelled", _("Cancelled")),
    ("noshow", _("Missed")),
]

# FHIR Task.status codes for outreach tasks.
OUTREACH_STATUSES = [
    ("requested", _("To do")),
    ("in-progress", _("In progress")),
    ("completed", _("Done")),
    ("cancelled", _("Cancelled")),
]

REMINDER_CHANNELS = [
    ("sms", _("Text message")),
    ("email", _("Email")),
    ("phone", _("Phone call")),
]

# The send-state machine: scheduled -> sending -> sent; a failure goes back to scheduled
# (with back-off) or to failed; a crash leaves "sending", which is reconciled with the sender.
REMINDER_STATES = [
    ("scheduled", _("Waiting")),
    ("sending", _("Sending")),
    ("sent", _("Sent")),
    ("failed", _("Could not send")),
    ("refused", _("Not sent: their contact wishes do not allow it")),
    ("uncertain", _("Unknown whether it was sent; not sent again")),
    ("cancelled", _("Cancelled")),
]
REMINDER_OPEN_STATES = {"scheduled", "sending"}

TEMPLATE_KINDS = [
    ("appointment", _("Appointment reminder")),
    ("due_care", _("Invitation to book a visit")),
    ("outreach", _("Check-in after a missed visit")),
]

TEMPLATE_LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]

ATTEMPT_OUTCOMES = [
    ("sent", _("Sent")),
    ("deferred", _("Waiting for their safe hours")),
    ("refused", _("Not sent: their contact wishes do not allow it")),
    ("error", _("Sending failed")),
    ("reconciled", _("Checked after an interruption")),
    ("uncertain", _("Unknown whether it was sent")),
]


class Protocol(ChoiceLabels, models.Model):
    """A follow-up protocol of a clinic: an event and the care it calls for afterwards."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "site": "none",
        "code": "none",
        "name": "none",
        "trigger": "none",
        "source": "none",
        "active": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="followup_protocols")
    code = models.SlugField(max_length=40)
    name = models.CharField(_("name"), max_length=150)
    trigger = models.CharField(_("started by"), max_length=30, choices=EVENTS)
    source = models.CharField(_("source"), max_length=300, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="followup_protocol_site_code")
        ]

    def __str__(self) -> str:
        return self.name


class ProtocolStep(ChoiceLabels, models.Model):
    """One item of care a protocol schedules, some days after the event."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "protocol": "none",
        "order": "none",
        "label": "none",
        "kind": "none",
        "code": "none",
        "offset_days": "none",
        "grace_days": "none",
        "repeat_every_days": "none",
        "min_age": "none",
        "max_age": "none",
        "source": "none",
        "clinic_choice": "none",
        "active": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("what is due"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=STEP_KINDS)
    code = models.CharField(_("code (LOINC or CVX)"), max_length=40, blank=True)
    offset_days = models.PositiveIntegerField(_("days after the event"))
    grace_days = models.PositiveIntegerField(_("days before it counts as overdue"), default=14)
    repeat_every_days = models.PositiveIntegerField(
        _("then repeat every (days)"), null=True, blank=True
    )
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("up to age"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    clinic_choice = models.BooleanField(
        _("the interval is a clinic choice, not a guideline"), default=False
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["protocol", "order", "offset_days"]

    def __str__(self) -> str:
        return self.label


class CareEvent(ChoiceLabels, models.Model):
    """Something that happened in a person's care and starts follow-up."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "kind": "clinical",
        "occurred_on": "clinical",
        "recorded_by": "none",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="care_events")
    kind = models.CharField(_("what happened"), max_length=30, choices=EVENTS)
    occurred_on = models.DateField(_("on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_on"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.occurred_on}"


class DueItem(ChoiceLabels, models.Model):
    """Care a person is due, from a protocol step (a FHIR Task in spirit)."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "site": "none",
        "event": "none",
        "step": "none",
        "label": "clinical",
        "kind": "clinical",
        "due_on": "clinical",
        "overdue_on": "clinical",
        "status": "clinical",
        "completed_on": "clinical",
        "completed_by": "none",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="due_items")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(CareEvent, on_delete=models.PROTECT, related_name="due_items")
    step = models.ForeignKey(ProtocolStep, null=True, on_delete=models.SET_NULL, related_name="+")
    label = models.CharField(_("what is due"), max_length=150)
    kind = models.CharField(max_length=10, choices=STEP_KINDS)
    due_on = models.DateField(_("due"))
    overdue_on = models.DateField(_("overdue after"))
    status = models.CharField(max_length=12, choices=DUE_STATUSES, default="requested")
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["site", "status", "due_on"], name="followup_due_site"),
            models.Index(fields=["person", "status", "due_on"], name="followup_due_person"),
        ]

    def __str__(self) -> str:
        return f"{self.label} due {self.due_on}"

    def is_overdue(self, today) -> bool:
        return self.status == "requested" and today > self.overdue_on


class Appointment(ChoiceLabels, models.Model):
    """A visit booked for a person: who, where and when."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "site": "none",
        "clinician": "none",
        "starts_at": "clinical",
        "minutes": "clinical",
        "status": "clinical",
        "room": "clinical",
        "interpreter_language": "demographic",
        "preference_note": "sensitive-encrypted",
        "due_item": "none",
        "created_by": "none",
        "created_at": "none",
        "updated_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followup_appointments"
    )
    starts_at = models.DateTimeField(_("when"))
    minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=30)
    status = models.CharField(max_length=12, choices=APPOINTMENT_STATUSES, default="booked")
    room = models.CharField(_("where (room)"), max_length=60, blank=True)
    interpreter_language = models.CharField(_("interpreter booked for"), max_length=8, blank=True)
    # Why a clinician who does not match the person's preference was booked (their own choice).
    preference_note = EncryptedTextField(blank=True)
    due_item = models.ForeignKey(
        DueItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["clinician", "starts_at"], name="followup_appt_clinician"),
            models.Index(fields=["person", "starts_at"], name="followup_appt_person"),
        ]

    def __str__(self) -> str:
        return f"appointment {self.public_id}"


class OutreachTask(ChoiceLabels, models.Model):
    """A task for the advocate: reach out (safely) after a missed visit."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "site": "none",
        "appointment": "none",
        "assigned_to": "none",
        "status": "clinical",
        "note": "sensitive-encrypted",
        "created_at": "none",
        "completed_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="outreach_tasks")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="outreach"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=OUTREACH_STATUSES, default="requested")
    note = EncryptedTextField(_("what happened"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"outreach {self.public_id}"


class ReminderTemplate(ChoiceLabels, models.Model):
    """The wording of a reminder in one language, as a clinic administrator set it."""

    data_classification = {
        "id": "none",
        "site": "none",
        "kind": "none",
        "language": "none",
        "subject": "none",
        "body": "none",
        "updated_by": "none",
        "updated_at": "none",
    }

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=TEMPLATE_KINDS)
    language = models.CharField(max_length=8, choices=TEMPLATE_LANGUAGES)
    subject = models.CharField(_("email subject"), max_length=100)
    body = models.TextField(_("message"), max_length=600)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "kind", "language"], name="followup_template_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.language}"


class Reminder(ChoiceLabels, models.Model):
    """One message to a person, sent in the background through their safe-contact wishes."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "kind": "contact",
        "appointment": "none",
        "channel": "contact",
        "send_after": "contact",
        "state": "contact",
        "idempotency_key": "identifier",
        "attempts": "none",
        "claimed_at": "none",
        "sent_at": "contact",
        "provider_ref": "contact",
        "last_error": "none",
        "created_by": "none",
        "created_at": "none",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=20, choices=TEMPLATE_KINDS)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="reminders"
    )
    channel = models.CharField(max_length=10, choices=REMINDER_CHANNELS)
    send_after = models.DateTimeField(_("send from"))
    state = models.CharField(max_length=12, choices=REMINDER_STATES, default="scheduled")
    # Given to the sender so that the provider itself drops a repeat of the same message.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(max_length=120, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["send_after", "pk"]
        indexes = [models.Index(fields=["state", "send_after"], name="followup_reminder_due")]

    def __str__(self) -> str:
        return f"reminder {self.public_id}"


class ContactAttempt(ChoiceLabels, models.Model):
    """The contact log: every attempt to reach a person, whatever came of it."""

    data_classification = {
        "id": "none",
        "public_id": "identifier",
        "person": "none",
        "reminder": "none",
        "at": "contact",
        "channel": "contact",
        "outcome": "contact",
        "reason": "contact",
        "provider_ref": "contact",
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="reminder_attempts")
    reminder = models.ForeignKey(
        Reminder, null=True, blank=True, on_delete=models.PROTECT, related_name="log"
    )
    at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10)
    outcome = models.CharField(max_length=12, choices=ATTEMPT_OUTCOMES)
    reason = models.CharField(max_length=200, blank=True)
    provider_ref = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.outcome} {self.at:%Y-%m-%d %H:%M}"
