"""Sending reminders: a send-state machine that never sends the same reminder twice.

claim (scheduled -> sending, in a transaction) -> send with the reminder's idempotency key
-> record (sending -> sent, in a transaction). If the worker dies after sending and before
recording, the reminder stays in "sending"; once its lease has run out it is reconciled
with the sender (`status(key)`): "sent" is recorded without sending again, "not_sent" is
scheduled again, and "unknown" is marked "uncertain" and never sent blindly.

Every decision is written to the contact log (`ContactAttempt`); what went out is logged as
a disclosure with `consent.decision.log_disclosure` and audited.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from safehaven.audit.actions import record
from safehaven.followup import contact
from safehaven.followup.models import ContactAttempt, Reminder
from safehaven.followup.senders import SendError, sender_for

logger = logging.getLogger(__name__)

WORKER = "reminder worker"
MAX_ATTEMPTS = 5
BACKOFF_BASE = datetime.timedelta(minutes=2)
BACKOFF_MAX = datetime.timedelta(hours=2)
LEASE = datetime.timedelta(minutes=10)
CLOSED_APPOINTMENT = {"cancelled", "noshow", "fulfilled"}


def backoff(attempts: int) -> datetime.timedelta:
    """Return how long to wait before attempt number `attempts + 1` (doubling, capped)."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _log(reminder: Reminder, outcome: str, now, reason: str = "", ref: str = "") -> None:
    ContactAttempt.objects.create(
        person=reminder.person, reminder=reminder, at=now, channel=reminder.channel,
        outcome=outcome, reason=reason[:200], provider_ref=ref[:120],
    )


def _enqueue_later(reminder: Reminder) -> None:
    """Ask the task backend to try again at send_after, when it can defer tasks."""
    from safehaven.followup.tasks import send_reminder

    if not send_reminder.get_backend().supports_defer:
        return  # the worker's sweep picks it up when it is due
    public_id, when = str(reminder.public_id), reminder.send_after
    transaction.on_commit(lambda: send_reminder.using(run_after=when).enqueue(public_id))


def _load(public_id) -> Reminder | None:
    return (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("person__site__organisation", "person__contact", "appointment")
        .filter(public_id=public_id)
        .first()
    )


def deliver(public_id, *, now: datetime.datetime | None = None, sender=None) -> str:
    """Try to send one reminder now; return what happened (a short word, for logs and tests)."""
    now = now or timezone.now()
    with transaction.atomic():
        reminder = _load(public_id)
        if reminder is None:
            return "missing"
        if reminder.state == "sending":
            if reminder.claimed_at and reminder.claimed_at > now - LEASE:
                return "busy"
            stale = True
        else:
            stale = False
            if reminder.state != "scheduled":
                return reminder.state
            if reminder.send_after > now:
                return "not_due"
            claimed = _claim(reminder, now)
            if isinstance(claimed, str):
                return claimed
            message, decision = claimed
    sender = sender or sender_for(reminder.channel)
    if stale:
        return reconcile(reminder, now=now, sender=sender)
    return _send_and_record(reminder, message, decision, now=now, sender=sender)


def _claim(reminder: Reminder, now):
    """Check the person's wishes and claim the reminder; return (message, decision) or a word."""
    person = reminder.person
    prefs = getattr(person, "contact", None)
    appointment = reminder.appointment
    if appointment is not None and appointment.status in CLOSED_APPOINTMENT:
        reminder.state = "cancelled"
        reminder.save(update_fields=["state"])
        return "cancelled"
    try:
        message = contact.render(
            person, prefs, kind=reminder.kind, channel=reminder.channel,
            when=appointment.starts_at if appointment else None,
        )
        decision = contact.check_consent(person)
    except contact.ContactRefused as refusal:
        reminder.state = "refused"
        reminder.last_error = refusal.code
        reminder.save(update_fields=["state", "last_error"])
        _log(reminder, "refused", now, refusal.code)
        record(by=WORKER, action="followup.reminder.refused", obj=reminder, person=person,
               detail={"reason": refusal.code})
        return "refused"
    if not contact.in_safe_hours(prefs, now):
        reminder.send_after = contact.next_safe_time(prefs, now)
        reminder.save(update_fields=["send_after"])
        _log(reminder, "deferred", now, "outside_safe_hours")
        _enqueue_later(reminder)
        return "deferred"
    reminder.state = "sending"
    reminder.attempts += 1
    reminder.claimed_at = now
    reminder.save(update_fields=["state", "attempts", "claimed_at"])
    return message, decision


def _send_and_record(reminder: Reminder, message, decision, *, now, sender) -> str:
    try:
        ref = sender.send(message, idempotency_key=str(reminder.idempotency_key))
    except (SendError, OSError) as exc:
        return _failed(reminder, now, str(exc) or exc.__class__.__name__)
    _record_sent(reminder, ref, now, decision, outcome="sent")
    return "sent"


@transaction.atomic
def _record_sent(reminder: Reminder, ref: str, now, decision, *, outcome: str, reason: str = "") -> None:
    from safehaven.consent.decision import Recipient, log_disclosure

    updated = Reminder.objects.filter(pk=reminder.pk, state="sending").update(
        state="sent", sent_at=now, provider_ref=ref[:120], last_error=""
    )
    if not updated:
        return  # someone else already recorded it
    reminder.state = "sent"
    _log(reminder, outcome, now, reason, ref)
    log_disclosure(
        by=WORKER, person=reminder.person, recipient=Recipient.the_person(), purpose="reminder",
        decision=decision, channel=reminder.channel,
        detail={"reminder": str(reminder.public_id), "kind": reminder.kind},
    )
    record(by=WORKER, action="followup.reminder.sent", obj=reminder, person=reminder.person,
           detail={"channel": reminder.channel, "attempt": reminder.attempts})


@transaction.atomic
def _failed(reminder: Reminder, now, error: str) -> str:
    reminder.last_error = error[:200]
    if reminder.attempts >= MAX_ATTEMPTS:
        reminder.state = "failed"
    else:
        reminder.state = "scheduled"
        reminder.send_after = now + backoff(reminder.attempts)
    reminder.save(update_fields=["state", "last_error", "send_after"])
    _log(reminder, "error", now, error)
    if reminder.state == "scheduled":
        _enqueue_later(reminder)
    return "failed" if reminder.state == "failed" else "retry"


def reconcile(reminder: Reminder, *, now, sender) -> str:
    """Settle a reminder left in "sending" by a worker that stopped; never resend blindly."""
    status = sender.status(str(reminder.idempotency_key))
    if status == "sent":
        from safehaven.consent.decision import Recipient, may_disclose

        decision = may_disclose(
            reminder.person, Recipient.the_person(), "reminder", ["identity_contact"]
        )
        _record_sent(reminder, f"reconciled-{reminder.idempotency_key}", now, decision,
                     outcome="reconciled", reason="the sender had delivered it")
        return "reconciled_sent"
    with transaction.atomic():
        if status == "not_sent":
            Reminder.objects.filter(pk=reminder.pk, state="sending").update(
                state="scheduled", send_after=now
            )
            _log(reminder, "reconciled", now, "the sender had not delivered it")
        else:
            Reminder.objects.filter(pk=reminder.pk, state="sending").update(
                state="uncertain", last_error="sender cannot tell whether it was delivered"
            )
            _log(reminder, "uncertain", now, "not sent again; check with the person in person")
            record(by=WORKER, action="followup.reminder.uncertain", obj=reminder,
                   person=reminder.person)
    if status == "not_sent":
        return deliver(reminder.public_id, now=now, sender=sender)
    return "uncertain"


def sweep(*, now: datetime.datetime | None = None, sender=None, limit: int = 200) -> dict:
    """Reconcile stale "sending" reminders, then send those that are due; return counts."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    stale = Reminder.objects.filter(state="sending", claimed_at__lte=now - LEASE)
    due = Reminder.objects.filter(state="scheduled", send_after__lte=now)
    ids = list(stale.values_list("public_id", flat=True)[:limit])
    ids += list(due.values_list("public_id", flat=True)[:limit])
    for public_id in ids:
        try:
            outcome = deliver(public_id, now=now, sender=sender)
        except Exception:  # one bad reminder must not stop the others
            logger.exception("reminder %s could not be processed", public_id)
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
