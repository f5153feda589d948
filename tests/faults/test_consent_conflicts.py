"""Two people changing the same consent: the first change stands, the second gets a conflict.

Every way staff change something already recorded about consent carries what the form was
read at: withdrawing a sharing consent (the consent's version), answering a step of care
(the answer the page showed), recording that the person was told of a required report (its
state). A stale submission answers 409 with a plain message and the current state, changes
nothing and writes no audit event; a fresh one goes through. Both orders are tested, through
the pages, and with two real database connections at once.
"""

import threading
import time

import pytest
from django.db import connections
from django.urls import reverse

from safehaven.audit import chain
from safehaven.audit.models import AuditEvent
from safehaven.consent import actions
from safehaven.consent.actions import ConsentConflict
from safehaven.consent.models import CareStepConsent, ConsentGrant, RequiredReport
from tests.consent.helpers import encounter, grant

BOTH_ORDERS = pytest.mark.parametrize("first", ["ana", "bob"])


def other(name: str) -> str:
    return {"ana": "bob", "bob": "ana", "alice": "bob"}[name]


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --- withdrawing a sharing consent -------------------------------------------------------


def revoke_url(g):
    return reverse("consent:revoke", args=[g.public_id])


@pytest.mark.django_db
@BOTH_ORDERS
def test_two_people_withdrawing_the_same_consent_one_is_told_it_changed(cast, client_for, first):
    g = grant(cast)
    seen = g.version  # both pages were read before either submitted
    winner, loser = getattr(cast, first), getattr(cast, other(first))
    ok = client_for(winner).post(revoke_url(g), {"version": seen, "reason": "they asked in person"})
    assert ok.status_code == 302
    stale = client_for(loser).post(revoke_url(g), {"version": seen, "reason": "they phoned"})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "already withdrawn" in page and "Nothing was changed" in page
    assert "This page shows their consents as they are now." in page
    assert "Ended or withdrawn" in page and "Bay Shelter" in page  # the current state
    g.refresh_from_db()
    assert g.revoked_by == winner and g.revocation_reason == "they asked in person" and g.version == seen + 1
    assert events("consent.revoke") == 1
    assert chain.verify().ok


@pytest.mark.django_db
def test_a_withdrawal_from_a_page_read_before_another_change_is_refused_and_changes_nothing(cast, client_for):
    g = grant(cast)
    stale_version = g.version
    ConsentGrant.objects.filter(pk=g.pk).update(version=stale_version + 1)  # someone else's change
    before = events("consent.revoke")
    response = client_for(cast.ana).post(revoke_url(g), {"version": stale_version})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this consent while your page was open. Nothing was changed." in page
    assert f'name="version" value="{stale_version + 1}"' in page  # the form now carries the current one
    g.refresh_from_db()
    assert g.revoked_at is None and g.version == stale_version + 1
    assert events("consent.revoke") == before
    fresh = client_for(cast.ana).post(revoke_url(g), {"version": g.version})
    assert fresh.status_code == 302
    g.refresh_from_db()
    assert g.revoked_at is not None and g.version == stale_version + 2
    assert events("consent.revoke") == before + 1
    assert chain.verify().ok


@pytest.mark.django_db
def test_the_action_refuses_a_stale_version_without_an_audit_event(cast):
    g = grant(cast)
    actions.revoke_consent(by=cast.ana, grant=g, version=1)
    again = ConsentGrant.objects.get(pk=g.pk)
    with pytest.raises(ConsentConflict):
        actions.revoke_consent(by=cast.bob, grant=again, version=1)
    with pytest.raises(ConsentConflict):  # even at the current version: it is withdrawn already
        actions.revoke_consent(by=cast.bob, grant=again, version=again.version)
    assert events("consent.revoke") == 1
    assert ConsentGrant.objects.get(pk=g.pk).revoked_by == cast.ana


# --- answering a step of care -------------------------------------------------------------


def steps_url(enc):
    return reverse("consent:encounter_steps", args=[enc.public_id])


@pytest.mark.django_db
@pytest.mark.parametrize(("first_answer", "second_answer"), [("active", "rejected"), ("rejected", "active")])
def test_two_people_answering_the_same_step_from_the_same_page(cast, client_for, first_answer, second_answer):
    enc = encounter(cast)
    alice, bob = client_for(cast.alice), client_for(cast.bob)
    page = alice.get(steps_url(enc)).content.decode()
    assert 'name="seen" value=""' in page
    ok = alice.post(steps_url(enc), {"step": "touch", "status": first_answer, "seen": ""})
    assert ok.status_code == 302
    stale = bob.post(steps_url(enc), {"step": "touch", "status": second_answer, "seen": ""})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Someone else recorded an answer for this step while your page was open." in page
    assert "Nothing was saved." in page
    shown = {"active": "<strong>Yes</strong>", "rejected": "<strong>No</strong>"}
    assert shown[first_answer] in page  # the answer that stands
    rows = list(CareStepConsent.objects.filter(encounter=enc, step="touch"))
    assert [r.status for r in rows] == [first_answer] and rows[0].recorded_by == cast.alice
    assert events("consent.step") == 1
    # reading the page again gives the answer that stands; a fresh answer goes through
    assert f'name="seen" value="{rows[0].public_id}"' in stale.content.decode()
    fresh = bob.post(steps_url(enc), {"step": "touch", "status": second_answer, "seen": str(rows[0].public_id)})
    assert fresh.status_code == 302
    assert [r.status for r in CareStepConsent.objects.filter(encounter=enc, step="touch")] == [first_answer, second_answer]
    assert events("consent.step") == 2
    assert chain.verify().ok


@pytest.mark.django_db
def test_a_stale_yes_cannot_overrule_a_stop_but_a_stop_from_a_stale_page_is_always_recorded(cast, client_for):
    enc = encounter(cast)
    yes = actions.record_step_answer(by=cast.alice, encounter=enc, step="touch", status="active")
    alice, bob = client_for(cast.alice), client_for(cast.bob)
    # Bob's page shows "yes"; Alice records that they asked to stop.
    assert alice.post(steps_url(enc), {"step": "touch", "status": "inactive", "seen": str(yes.public_id)}).status_code == 302
    stale_yes = bob.post(steps_url(enc), {"step": "touch", "status": "active", "seen": str(yes.public_id)})
    assert stale_yes.status_code == 409 and "They asked to stop" in stale_yes.content.decode()
    # A stop is the person's to give at any moment: it is never refused as stale.
    stale_stop = bob.post(steps_url(enc), {"step": "touch", "status": "inactive", "seen": str(yes.public_id)})
    assert stale_stop.status_code == 302
    assert [r.status for r in CareStepConsent.objects.filter(encounter=enc, step="touch")] == ["active", "inactive", "inactive"]
    assert chain.verify().ok


# --- telling the person about a required report -------------------------------------------


def report_not_yet_told(cast) -> RequiredReport:
    """A required report about a minor on Ana's and Bob's care team, not yet told to them."""
    from safehaven.people.models import CareTeamMember
    from safehaven.testing.factories import make_person

    teen = make_person(cast.ana, cast.site_a, "Teo", age_band="12-17")
    CareTeamMember.objects.create(person=teen, user=cast.bob)
    return actions.record_required_report(
        by=cast.ana, person=teen, recipient_category="child_protection", agency="County CPS",
        legal_basis="State law", categories=["identity_contact"], person_told=False,
    )


@pytest.mark.django_db
@BOTH_ORDERS
def test_two_people_recording_that_they_were_told(cast, client_for, first):
    report = report_not_yet_told(cast)
    url = reverse("consent:report_told", args=[report.public_id])
    winner, loser = getattr(cast, first), getattr(cast, other(first))
    assert client_for(winner).post(url, {"how_told": f"{winner.username}, in person"}).status_code == 302
    stale = client_for(loser).post(url, {"how_told": f"{loser.username}, by phone"})
    assert stale.status_code == 409
    assert "They were already told about this report. Nothing was changed." in stale.content.decode()
    report.refresh_from_db()
    assert report.how_told == f"{winner.username}, in person"
    assert events("consent.required_report.told") == 1
    assert chain.verify().ok


# --- two real connections at once -----------------------------------------------------------


def race(*calls):
    """Run the calls at once, each on its own thread and database connection."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            start.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.fixture
def slow_reads(monkeypatch):
    """Widen the window between reading and writing, so unguarded writers would overlap."""
    real = actions.latest_step_answer

    def slow(*args, **kwargs):
        answer = real(*args, **kwargs)
        time.sleep(0.3)
        return answer

    monkeypatch.setattr(actions, "latest_step_answer", slow)


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_on_two_connections_one_wins(cast):
    g = grant(cast)
    results = race(
        lambda: actions.revoke_consent(by=cast.ana, grant=ConsentGrant.objects.get(pk=g.pk), version=1),
        lambda: actions.revoke_consent(by=cast.bob, grant=ConsentGrant.objects.get(pk=g.pk), version=1),
    )
    assert sorted(type(r).__name__ for r in results) == ["ConsentConflict", "ConsentGrant"], results
    winner = next(r for r in results if isinstance(r, ConsentGrant))
    g.refresh_from_db()
    assert g.revoked_by_id == winner.revoked_by.pk and g.version == 2
    assert events("consent.revoke") == 1
    assert chain.verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_on_two_connections_one_wins(cast, slow_reads):
    enc = encounter(cast)
    results = race(
        lambda: actions.record_step_answer(by=cast.alice, encounter=enc, step="touch", status="active", seen=""),
        lambda: actions.record_step_answer(by=cast.bob, encounter=enc, step="touch", status="rejected", seen=""),
    )
    assert sorted(type(r).__name__ for r in results) == ["CareStepConsent", "ConsentConflict"], results
    assert CareStepConsent.objects.filter(encounter=enc, step="touch").count() == 1
    assert events("consent.step") == 1
    assert chain.verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_told_on_two_connections_one_wins(cast):
    report = report_not_yet_told(cast)

    def told(user):
        return lambda: actions.mark_report_told(
            by=user, report=RequiredReport.objects.get(pk=report.pk), how_told=user.username)

    results = race(told(cast.ana), told(cast.bob))
    assert sorted(type(r).__name__ for r in results) == ["ConsentConflict", "RequiredReport"], results
    assert events("consent.required_report.told") == 1
    assert chain.verify().ok
