"""Protocols as data: events schedule due care; completing repeating care schedules the next."""

import datetime

import pytest

from safehaven.audit.models import AuditEvent
from safehaven.followup import actions
from safehaven.followup.models import DueItem, Protocol, ProtocolStep
from safehaven.followup.protocols import ensure_default_protocols

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 3, 3)


def test_a_treatment_schedules_the_retest_about_three_months_later(cast):
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="sti_treated", occurred_on=DAY)
    assert [(i.label, i.due_on) for i in items] == [("STI retest", DAY + datetime.timedelta(days=90))]
    assert items[0].overdue_on == DAY + datetime.timedelta(days=120)
    assert AuditEvent.objects.filter(action="followup.event.create", person_id=str(cast.patient.public_id)).exists()


def test_an_exposure_schedules_hiv_and_syphilis_tests_at_six_weeks_and_three_months(cast):
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="exposure", occurred_on=DAY)
    due = sorted((i.label, (i.due_on - DAY).days) for i in items)
    assert due == [
        ("HIV test (3 months)", 90), ("HIV test (6 weeks)", 42),
        ("Syphilis test (3 months)", 90), ("Syphilis test (6 weeks)", 42),
    ]


def test_starting_care_schedules_rescreening_at_two_months_and_then_every_three(cast):
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="enrolled", occurred_on=DAY)
    phq = next(i for i in items if i.label == "PHQ-9")
    assert phq.due_on == DAY + datetime.timedelta(days=60)
    following = actions.complete_due_item(by=cast.alice, item=phq, completed_on=DAY + datetime.timedelta(days=61))
    assert following.label == "PHQ-9"
    assert following.due_on == DAY + datetime.timedelta(days=61 + 90)
    assert {i.label for i in items} >= {"GAD-7", "PC-PTSD-5", "Offer the safety screen again, privately"}


def test_cervical_screening_follows_the_persons_age(cast):
    # Rosa was born in 1996: 28 in early 2025 (cytology), not yet 30 (HPV test).
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="enrolled", occurred_on=DAY)
    labels = {i.label for i in items}
    assert "Cervical screening (cytology)" in labels
    assert "Cervical screening (HPV test)" not in labels


def test_default_protocols_mark_clinic_choices_and_name_sources(cast):
    ensure_default_protocols(cast.site_a)
    ensure_default_protocols(cast.site_a)  # idempotent
    assert Protocol.objects.filter(site=cast.site_a).count() == 8
    retest = ProtocolStep.objects.get(protocol__site=cast.site_a, label="STI retest")
    assert retest.clinic_choice is False and "CDC" in retest.source
    rescreen = ProtocolStep.objects.get(protocol__site=cast.site_a, label="PHQ-9")
    assert rescreen.clinic_choice is True and "DOMAIN.md" in rescreen.source


def test_a_clinic_can_change_an_interval_and_new_events_follow_it(cast):
    ensure_default_protocols(cast.site_a)
    step = ProtocolStep.objects.get(protocol__site=cast.site_a, label="STI retest")
    actions.update_step(by=cast.erin, step=step, offset_days=100, clinic_choice=True)
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="sti_treated", occurred_on=DAY)
    assert items[0].due_on == DAY + datetime.timedelta(days=100)


def test_a_step_out_of_use_schedules_nothing(cast):
    ensure_default_protocols(cast.site_a)
    step = ProtocolStep.objects.get(protocol__site=cast.site_a, label="STI retest")
    actions.update_step(by=cast.erin, step=step, active=False)
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="sti_treated", occurred_on=DAY)
    assert items == []


def test_protocols_are_per_clinic(cast):
    ensure_default_protocols(cast.site_b)
    step = ProtocolStep.objects.get(protocol__site=cast.site_b, label="STI retest")
    actions.update_step(by=cast.dan, step=step, offset_days=10)
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="sti_treated", occurred_on=DAY)
    assert items[0].due_on == DAY + datetime.timedelta(days=90)


def test_an_unknown_event_is_refused_and_nothing_is_written(cast):
    with pytest.raises(ValueError):
        actions.record_event(by=cast.alice, person=cast.patient, kind="bogus", occurred_on=DAY)
    assert not DueItem.objects.exists()


def test_done_care_cannot_be_done_twice(cast):
    _event, items = actions.record_event(by=cast.alice, person=cast.patient, kind="sti_treated", occurred_on=DAY)
    actions.complete_due_item(by=cast.alice, item=items[0], completed_on=DAY)
    with pytest.raises(ValueError):
        actions.complete_due_item(by=cast.alice, item=items[0], completed_on=DAY)
