"""The referral lifecycle: SDOH Clinical Care Task statuses, allowed moves, history, audit."""

import datetime

import pytest
from django.utils import timezone

from safehaven.audit.models import AuditEvent
from safehaven.referrals import actions, queries
from safehaven.referrals.actions import ConflictError, TransitionError
from safehaven.referrals.models import HelpCheck, ReferralPolicy

pytestmark = pytest.mark.django_db


def test_a_referral_goes_from_draft_to_completed_with_every_step_kept(cast, make_referral):
    referral = make_referral()
    assert referral.status == "draft"
    referral = actions.send_referral(by=cast.ana, referral=referral)
    referral = actions.change_status(by="Partner", referral=referral, to_status="accepted",
                                     actor_kind="partner_link")
    referral = actions.change_status(by="Partner", referral=referral, to_status="in-progress",
                                     actor_kind="partner_link")
    referral = actions.change_status(by="Partner", referral=referral, to_status="on-hold",
                                     actor_kind="partner_link", note="Waiting for a room")
    referral = actions.change_status(by=cast.ana, referral=referral, to_status="in-progress")
    referral = actions.change_status(by="Partner", referral=referral, to_status="completed",
                                     outcome="Room for three months", actor_kind="partner_link")
    events = list(referral.events.all())
    assert [(e.from_status, e.to_status) for e in events] == [
        ("", "draft"), ("draft", "requested"), ("requested", "accepted"),
        ("accepted", "in-progress"), ("in-progress", "on-hold"), ("on-hold", "in-progress"),
        ("in-progress", "completed"),
    ]
    assert all(e.at is not None for e in events)
    assert referral.outcome == "Room for three months"
    assert referral.responded_at is not None
    actions_logged = list(
        AuditEvent.objects.filter(object_id=str(referral.public_id)).values_list("action", flat=True)
    )
    assert actions_logged.count("referral.status") == 5
    assert "referral.create" in actions_logged and "referral.send" in actions_logged


def test_a_decline_needs_a_reason(cast, make_referral):
    referral = make_referral(send=True)
    with pytest.raises(TransitionError):
        actions.change_status(by="Partner", referral=referral, to_status="rejected",
                              actor_kind="partner_link", reason="  ")
    referral = actions.change_status(by="Partner", referral=referral, to_status="rejected",
                                     actor_kind="partner_link", reason="No beds this month")
    assert referral.status == "rejected" and referral.status_reason == "No beds this month"


def test_completion_needs_what_was_provided(cast, make_referral):
    referral = make_referral(send=True)
    referral = actions.change_status(by="P", referral=referral, to_status="accepted", actor_kind="partner_link")
    with pytest.raises(TransitionError):
        actions.change_status(by="P", referral=referral, to_status="completed", actor_kind="partner_link")


@pytest.mark.parametrize("to_status", ["failed", "cancelled", "entered-in-error"])
def test_failure_cancellation_and_error_need_a_reason(cast, make_referral, to_status):
    referral = make_referral(send=True)
    referral = actions.change_status(by=cast.ana, referral=referral, to_status="accepted")
    with pytest.raises(TransitionError):
        actions.change_status(by=cast.ana, referral=referral, to_status=to_status)
    referral = actions.change_status(by=cast.ana, referral=referral, to_status=to_status, reason="x")
    assert referral.status == to_status


@pytest.mark.parametrize("start,target", [
    ("draft", "accepted"), ("draft", "completed"), ("requested", "completed"),
    ("requested", "in-progress"),
])
def test_moves_the_lifecycle_does_not_allow_are_refused(cast, make_referral, start, target):
    referral = make_referral(send=start != "draft")
    with pytest.raises(TransitionError):
        actions.change_status(by=cast.ana, referral=referral, to_status=target, reason="r", outcome="o")
    referral.refresh_from_db()
    assert referral.status == start and referral.events.count() == (1 if start == "draft" else 2)


def test_a_closed_referral_cannot_be_reopened(cast, make_referral):
    referral = make_referral(send=True)
    referral = actions.change_status(by=cast.ana, referral=referral, to_status="cancelled", reason="moved away")
    for target in ("requested", "accepted", "in-progress", "completed"):
        with pytest.raises(TransitionError):
            actions.change_status(by=cast.ana, referral=referral, to_status=target, reason="r", outcome="o")
    referral = actions.change_status(by=cast.ana, referral=referral, to_status="entered-in-error", reason="wrong person")
    with pytest.raises(TransitionError):
        actions.change_status(by=cast.ana, referral=referral, to_status="cancelled", reason="r")


def test_a_partner_cannot_cancel_or_mark_an_error(cast, make_referral):
    referral = make_referral(send=True)
    for target in ("cancelled", "entered-in-error"):
        with pytest.raises(TransitionError):
            actions.change_status(by="P", referral=referral, to_status=target, reason="r",
                                  actor_kind="partner_link")


def test_a_draft_is_sent_only_once(cast, make_referral):
    referral = make_referral(send=True)
    with pytest.raises(TransitionError):
        actions.send_referral(by=cast.ana, referral=referral)


def test_a_stale_version_is_refused(cast, make_referral):
    referral = make_referral(send=True)
    old_version = referral.version
    actions.change_status(by=cast.ana, referral=referral, to_status="accepted")
    with pytest.raises(ConflictError):
        actions.change_status(by=cast.ana, referral=referral, to_status="cancelled", reason="r",
                              version=old_version)


def test_completion_opens_a_help_check_for_the_advocate(cast, make_referral):
    referral = make_referral(send=True)
    referral = actions.change_status(by=cast.ana, referral=referral, to_status="accepted")
    referral = actions.change_status(by=cast.ana, referral=referral, to_status="completed", outcome="Bed")
    check = HelpCheck.objects.get(referral=referral)
    assert check.assigned_to == cast.ana and check.answered_at is None
    assert [c.pk for c in queries.help_checks_for(cast.ana)] == [check.pk]
    assert queries.help_checks_for(cast.carol) == []
    actions.record_help_answer(by=cast.ana, check=check, answer="partly", comment="Only two weeks")
    check.refresh_from_db()
    assert check.answer == "partly" and check.comment == "Only two weeks"
    assert queries.help_checks_for(cast.ana) == []
    with pytest.raises(ValueError):
        actions.record_help_answer(by=cast.ana, check=check, answer="maybe")


# --- loop closure -------------------------------------------------------------------

def test_business_days_skip_weekends():
    monday = datetime.date(2026, 3, 2)
    assert queries.business_cutoff(monday, 5) == datetime.date(2026, 2, 23)  # the Monday before
    assert queries.business_cutoff(monday, 1) == datetime.date(2026, 2, 27)  # Friday
    assert queries.business_cutoff(datetime.date(2026, 3, 1), 1) == datetime.date(2026, 2, 27)


def _sent_on(referral, when):
    type(referral).objects.filter(pk=referral.pk).update(requested_at=when)


def test_unanswered_referrals_appear_on_the_worklist_after_five_business_days(cast, make_referral):
    import zoneinfo

    tz = zoneinfo.ZoneInfo(cast.site_a.time_zone)
    now = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=tz)  # a Monday
    old = make_referral(send=True)
    _sent_on(old, datetime.datetime(2026, 3, 2, 16, 0, tzinfo=tz))  # 5 business days ago
    recent = make_referral(send=True)
    _sent_on(recent, datetime.datetime(2026, 3, 3, 9, 0, tzinfo=tz))  # 4 business days ago
    answered = make_referral(send=True)
    _sent_on(answered, datetime.datetime(2026, 2, 2, 9, 0, tzinfo=tz))
    actions.change_status(by="P", referral=answered, to_status="accepted", actor_kind="partner_link")
    assert [r.pk for r in queries.stale_for(cast.ana, now=now)] == [old.pk]
    assert {r.pk for r in queries.open_for(cast.ana)} == {old.pk, recent.pk, answered.pk}
    assert queries.stale_for(cast.carol, now=now) == []
    assert queries.stale_for(cast.dan, now=now) == []
    assert queries.stale_for(cast.fay, now=now) == []  # front desk has no caseload


def test_the_clinic_can_change_the_number_of_business_days(cast, make_referral):
    now = timezone.now()
    referral = make_referral(send=True)
    _sent_on(referral, now - datetime.timedelta(days=7))
    assert [r.pk for r in queries.stale_for(cast.ana, now=now)] == [referral.pk]
    actions.set_policy(by=cast.erin, site=cast.site_a, stale_after_business_days=20, link_valid_days=14)
    assert ReferralPolicy.objects.get(site=cast.site_a).stale_after_business_days == 20
    assert queries.stale_for(cast.ana, now=now) == []


def test_the_worklist_queries_do_not_grow_with_the_number_of_referrals(cast, make_referral):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        cast.ana.__dict__.pop("_site_perm_cache", None)
        with CaptureQueriesContext(connection) as ctx:
            queries.open_for(cast.ana)
            queries.stale_for(cast.ana)
            queries.help_checks_for(cast.ana)
        return len(ctx)

    make_referral(send=True)
    small = count()
    for _ in range(6):
        make_referral(send=True)
    assert count() == small


def test_referral_figures_feed_the_evaluation(cast, make_referral):
    from safehaven.referrals.evaluation import referral_events

    referral = make_referral(send=True)
    actions.change_status(by="P", referral=referral, to_status="accepted", actor_kind="partner_link")
    actions.change_status(by="P", referral=referral, to_status="completed", outcome="Bed",
                          actor_kind="partner_link")
    make_referral()  # a draft is not counted
    start = timezone.now() - datetime.timedelta(days=1)
    rows = [row for row, *_rest in referral_events(
        site_ids=[cast.site_a.pk], start=start, end=start + datetime.timedelta(days=2))]
    assert sorted(rows) == ["answered", "closed_loop", "completed", "referred"]
