"""Reminders that cannot expose anyone, and a send-state machine that never sends twice."""

import datetime
import json

import pytest
from django.utils import timezone

from safehaven.consent.models import Disclosure
from safehaven.followup import actions, contact, delivery
from safehaven.followup.models import ContactAttempt, Reminder
from safehaven.followup.senders import FileSender, SendError
from safehaven.people import actions as people_actions

from .conftest import at_la

pytestmark = pytest.mark.django_db

MORNING = at_la(2031, 5, 6, 10, 0)  # inside 9:00-17:00 in Los Angeles
NIGHT = at_la(2031, 5, 6, 23, 30)


def make_reminder(person, by, *, channel="sms", send_after=MORNING, kind="due_care", appointment=None):
    return Reminder.objects.create(
        person=person, kind=kind, channel=channel, send_after=send_after, created_by=by,
        appointment=appointment,
    )


def sent_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# --- the rules of contact ---------------------------------------------------------------

def test_nothing_is_scheduled_under_do_not_contact(cast, reachable):
    people_actions.update_contact_preferences(by=cast.alice, person=reachable, do_not_contact=True)
    reachable.refresh_from_db()
    with pytest.raises(contact.ContactRefused) as refused:
        actions.schedule_reminder(by=cast.alice, person=reachable, kind="due_care", channel="sms")
    assert refused.value.code == "do_not_contact"
    assert not Reminder.objects.exists()


def test_a_new_person_is_not_contacted_by_default(cast):
    with pytest.raises(contact.ContactRefused) as refused:
        actions.schedule_reminder(by=cast.alice, person=cast.patient, kind="due_care", channel="sms")
    assert refused.value.code == "do_not_contact"


def test_a_channel_they_did_not_choose_is_refused(cast, reachable):
    with pytest.raises(contact.ContactRefused) as refused:
        actions.schedule_reminder(by=cast.alice, person=reachable, kind="due_care", channel="phone")
    assert refused.value.code == "channel_not_allowed"


def test_a_time_outside_safe_hours_is_refused(cast, reachable):
    with pytest.raises(contact.ContactRefused) as refused:
        actions.schedule_reminder(by=cast.alice, person=reachable, kind="due_care", channel="sms", send_after=NIGHT)
    assert refused.value.code == "outside_safe_hours"


def test_safe_hours_are_read_in_their_own_time_zone(cast, reachable):
    prefs = reachable.contact
    ten_am_new_york = datetime.datetime(2031, 5, 6, 10, 0, tzinfo=datetime.UTC) + datetime.timedelta(hours=4)
    assert not contact.in_safe_hours(prefs, ten_am_new_york)  # 7:00 in Los Angeles
    assert contact.next_safe_time(prefs, ten_am_new_york) == at_la(2031, 5, 6, 9, 0)
    assert contact.next_safe_time(prefs, NIGHT) == at_la(2031, 5, 7, 9, 0)


def test_a_safe_window_across_midnight_works(cast, reachable):
    prefs = reachable.contact
    prefs.safe_hours_start, prefs.safe_hours_end = datetime.time(20, 0), datetime.time(2, 0)
    assert contact.in_safe_hours(prefs, NIGHT)
    assert not contact.in_safe_hours(prefs, MORNING)
    assert contact.next_safe_time(prefs, MORNING) == at_la(2031, 5, 6, 20, 0)


def test_the_message_has_no_clinic_name_when_not_allowed(cast, reachable):
    message = contact.render(reachable, reachable.contact, kind="appointment", channel="sms", when=MORNING)
    shown = f"{message.sender} {message.subject} {message.body}"
    assert "Harbor" not in shown and "clinic" not in shown.lower()
    assert message.sender == "Your reminder"
    assert message.body.startswith("Sunflower — ")
    assert message.allow_voicemail is False


def test_a_template_naming_the_clinic_is_refused_unless_they_allowed_it(cast, reachable):
    actions.save_template(by=cast.erin, site=cast.site_a, kind="due_care", language="en",
                          subject="Hello", body="{sender}: see you at {clinic_name}.")
    message = contact.render(reachable, reachable.contact, kind="due_care", channel="sms")
    assert "Harbor" not in message.body
    # Someone typing the clinic's name as the sender is caught too.
    reachable.contact.neutral_sender = "Harbor Clinic"
    with pytest.raises(contact.ContactRefused) as refused:
        contact.render(reachable, reachable.contact, kind="due_care", channel="sms")
    assert refused.value.code == "clinic_name"
    reachable.contact.clinic_name_allowed = True
    assert "Harbor Clinic" in contact.render(reachable, reachable.contact, kind="due_care", channel="sms").body


def test_the_wording_follows_their_language(cast, reachable):
    reachable.preferred_language = "es"
    message = contact.render(reachable, reachable.contact, kind="appointment", channel="sms", when=MORNING)
    assert "cita" in message.body and "mayo" in message.body


def test_templates_refuse_revealing_words_and_unknown_placeholders(cast):
    for body in ["Your HIV test is due", "Trafficking support: {date}", "Hi {person.legal_name}"]:
        with pytest.raises(ValueError):
            actions.save_template(by=cast.erin, site=cast.site_a, kind="due_care", language="en",
                                  subject="Hello", body=body)


def test_hostile_template_text_is_inert(cast, reachable):
    actions.save_template(by=cast.erin, site=cast.site_a, kind="due_care", language="en",
                          subject="Hi", body="<script>x</script> {code_word}{{date}} '; DROP TABLE x; --")
    message = contact.render(reachable, reachable.contact, kind="due_care", channel="sms")
    assert "<script>" in message.body  # plain text for a phone; escaped wherever a page shows it


# --- sending ----------------------------------------------------------------------------

def test_a_due_reminder_is_sent_once_logged_and_disclosed(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)
    assert delivery.deliver(reminder.public_id, now=MORNING) == "sent"
    assert delivery.deliver(reminder.public_id, now=MORNING) == "sent"  # already sent: no-op
    lines = sent_lines(outbox)
    assert len(lines) == 1 and lines[0]["to"] == "+1 555 0100"
    assert "Harbor" not in lines[0]["body"] and lines[0]["sender"] == "Your reminder"
    assert list(ContactAttempt.objects.values_list("outcome", flat=True)) == ["sent"]
    disclosure = Disclosure.objects.get(person=reachable)
    assert disclosure.purpose == "reminder" and disclosure.categories == ["identity_contact"]


def test_a_reminder_outside_safe_hours_waits_for_the_next_window(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice, send_after=NIGHT)
    assert delivery.deliver(reminder.public_id, now=NIGHT) == "deferred"
    reminder.refresh_from_db()
    assert reminder.state == "scheduled" and reminder.send_after == at_la(2031, 5, 7, 9, 0)
    assert sent_lines(outbox) == []
    assert delivery.deliver(reminder.public_id, now=at_la(2031, 5, 7, 9, 1)) == "sent"


def test_wishes_changed_after_scheduling_are_honoured_at_send_time(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)
    people_actions.update_contact_preferences(by=cast.alice, person=reachable, do_not_contact=True)
    assert delivery.deliver(reminder.public_id, now=MORNING) == "refused"
    reminder.refresh_from_db()
    assert reminder.state == "refused" and reminder.last_error == "do_not_contact"
    assert sent_lines(outbox) == []
    assert ContactAttempt.objects.get().outcome == "refused"


def test_a_channel_withdrawn_after_scheduling_is_refused(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice, channel="email")
    people_actions.update_contact_preferences(by=cast.alice, person=reachable, channels=["sms"])
    assert delivery.deliver(reminder.public_id, now=MORNING) == "refused"
    assert sent_lines(outbox) == []


class FlakySender(FileSender):
    def __init__(self, path, failures):
        super().__init__(path)
        self.failures = failures

    def send(self, message, *, idempotency_key):
        if self.failures:
            self.failures -= 1
            raise SendError("provider unavailable")
        return super().send(message, idempotency_key=idempotency_key)


def test_a_failed_send_is_retried_with_back_off_then_given_up(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)
    sender = FlakySender(outbox, failures=99)
    now = MORNING
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS):
        outcome = delivery.deliver(reminder.public_id, now=now, sender=sender)
        reminder.refresh_from_db()
        if outcome == "retry":
            waits.append(reminder.send_after - now)
            now = reminder.send_after
    assert outcome == "failed" and reminder.state == "failed"
    assert waits == [datetime.timedelta(minutes=m) for m in (2, 4, 8, 16)]
    assert ContactAttempt.objects.filter(outcome="error").count() == delivery.MAX_ATTEMPTS


def test_a_retry_succeeds_after_a_passing_failure(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)
    sender = FlakySender(outbox, failures=1)
    assert delivery.deliver(reminder.public_id, now=MORNING, sender=sender) == "retry"
    later = MORNING + delivery.backoff(1)
    assert delivery.deliver(reminder.public_id, now=later, sender=sender) == "sent"
    assert len(sent_lines(outbox)) == 1


class WorkerDied(BaseException):
    """The process stops dead (as with SIGKILL): nothing after this line runs."""


class DiesAfterSending(FileSender):
    def send(self, message, *, idempotency_key):
        super().send(message, idempotency_key=idempotency_key)
        raise WorkerDied


class CountingSender(FileSender):
    def __init__(self, path, answer=None):
        super().__init__(path)
        self.sends = 0
        self.answer = answer

    def send(self, message, *, idempotency_key):
        self.sends += 1
        return super().send(message, idempotency_key=idempotency_key)

    def status(self, idempotency_key):
        return self.answer or super().status(idempotency_key)


def test_a_worker_killed_between_sending_and_recording_does_not_send_twice(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)
    with pytest.raises(WorkerDied):
        delivery.deliver(reminder.public_id, now=MORNING, sender=DiesAfterSending(outbox))
    reminder.refresh_from_db()
    assert reminder.state == "sending" and len(sent_lines(outbox)) == 1

    restarted = CountingSender(outbox)
    # Within the lease another worker leaves it alone.
    assert delivery.deliver(reminder.public_id, now=MORNING + datetime.timedelta(minutes=1), sender=restarted) == "busy"
    counts = delivery.sweep(now=MORNING + delivery.LEASE + datetime.timedelta(minutes=1), sender=restarted)
    assert counts == {"reconciled_sent": 1}
    reminder.refresh_from_db()
    assert reminder.state == "sent"
    assert restarted.sends == 0 and len(sent_lines(outbox)) == 1
    assert Disclosure.objects.filter(person=reachable).count() == 1
    assert list(ContactAttempt.objects.values_list("outcome", flat=True)) == ["reconciled"]


def test_a_worker_killed_before_the_provider_got_it_sends_once_after_restart(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)

    class DiesBeforeSending(FileSender):
        def send(self, message, *, idempotency_key):
            raise WorkerDied

    with pytest.raises(WorkerDied):
        delivery.deliver(reminder.public_id, now=MORNING, sender=DiesBeforeSending(outbox))
    restarted = CountingSender(outbox)
    delivery.sweep(now=MORNING + delivery.LEASE * 2, sender=restarted)
    reminder.refresh_from_db()
    assert reminder.state == "sent" and restarted.sends == 1 and len(sent_lines(outbox)) == 1


def test_a_sender_that_cannot_tell_is_never_resent_blindly(cast, reachable, outbox):
    reminder = make_reminder(reachable, cast.alice)
    with pytest.raises(WorkerDied):
        delivery.deliver(reminder.public_id, now=MORNING, sender=DiesAfterSending(outbox))
    restarted = CountingSender(outbox, answer="unknown")
    delivery.sweep(now=MORNING + delivery.LEASE * 2, sender=restarted)
    reminder.refresh_from_db()
    assert reminder.state == "uncertain" and restarted.sends == 0
    assert delivery.sweep(now=MORNING + delivery.LEASE * 3, sender=restarted) == {}


def test_the_file_sender_honours_the_idempotency_key(cast, tmp_path):
    sender = FileSender(tmp_path / "out.jsonl")
    message = contact.Message("sms", "+1", "x", "s", "b", False, "en", person=cast.patient)
    assert sender.send(message, idempotency_key="k") == sender.send(message, idempotency_key="k")
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 1
    assert sender.status("k") == "sent" and sender.status("other") == "not_sent"


def test_a_reminder_for_a_cancelled_visit_is_not_sent(cast, reachable, outbox):
    visit = actions.book_appointment(by=cast.alice, person=reachable, clinician=cast.alice,
                                     starts_at=timezone.now() + datetime.timedelta(days=3))
    reminder = make_reminder(reachable, cast.alice, kind="appointment", appointment=visit,
                             send_after=timezone.now() - datetime.timedelta(minutes=1))
    actions.set_appointment_status(by=cast.alice, appointment=visit, status="cancelled")
    reminder.refresh_from_db()
    assert reminder.state == "cancelled"
    assert delivery.deliver(reminder.public_id, sender=CountingSender(outbox)) == "cancelled"
    assert sent_lines(outbox) == []


def test_the_task_framework_runs_the_send(cast, reachable, outbox, django_capture_on_commit_callbacks):
    people_actions.update_contact_preferences(
        by=cast.alice, person=reachable,
        safe_hours_start=datetime.time(0, 0), safe_hours_end=datetime.time(23, 59),
    )
    reachable.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        reminder = actions.schedule_reminder(by=cast.alice, person=reachable, kind="due_care", channel="sms")
    reminder.refresh_from_db()
    assert reminder.state == "sent" and len(sent_lines(outbox)) == 1


def test_a_sender_asks_the_decision_function_itself(cast, tmp_path):
    from safehaven.consent.outbound import OUTBOUND

    assert {"followup.reminder.file", "followup.reminder.email", "followup.reminder.sms"} <= set(OUTBOUND)
    with pytest.raises(SendError):
        FileSender(tmp_path / "out.jsonl").send(
            contact.Message("sms", "+1", "x", "s", "b", False, "en"), idempotency_key="k"
        )
    assert not (tmp_path / "out.jsonl").exists()
