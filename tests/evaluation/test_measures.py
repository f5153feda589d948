"""Measures from the finished capabilities: counted as people, protected with the cube."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safehaven.accounts.models import Membership, Role
from safehaven.evaluation import providers
from safehaven.evaluation.measures import ALL, NOW, build_cube
from safehaven.followup.models import CareEvent, DueItem
from safehaven.people.models import Person
from safehaven.referrals.models import Referral
from safehaven.screening.models import Instrument, ResponseTask, ScoredResult, ScreeningResponse
from safehaven.screening.queries import GAD7_TOTAL, PCPTSD5_TOTAL, PHQ9_TOTAL, screen_counts
from safehaven.testing.factories import make_staff
from safehaven.training.models import Attempt, Completion, Module

pytestmark = pytest.mark.django_db
URL = reverse("evaluation:dashboard")
YEAR = timezone.localdate().year - 1


def at(month, day=10):
    return timezone.make_aware(datetime.datetime(YEAR, month, day, 10))


def people(site, n, name="P"):
    return [Person.objects.create(site=site, chosen_name=f"{name}{i}", chosen_name_folded=f"{name.lower()}{i}")
            for i in range(n)]


def instrument(name="PHQ-9"):
    return Instrument.objects.create(url=f"http://example.org/{name}", name=name, title=name, resource={})


def screened(cast, persons, outcome, *, positive=False, when=None, form=None):
    form = form or instrument()
    return [ScreeningResponse.objects.create(person=p, instrument=form, author=cast.alice, outcome=outcome,
                                             status="completed", positive=positive, authored_at=when or at(2))
            for p in persons]


def scores(cast, person, code, pairs):
    form = Instrument.objects.filter(name="scores").first() or instrument("scores")
    for when, value in pairs:
        response = ScreeningResponse.objects.create(person=person, instrument=form, author=cast.alice,
                                                    outcome="completed", status="completed", authored_at=when)
        ScoredResult.objects.create(person=person, response=response, code=code, value=value, effective_at=when)


def evaluator_everywhere(cast):
    Membership.objects.create(user=cast.eve, site=cast.site_b, role=Role.objects.get(code="evaluator"))
    cast.eve.__dict__.pop("_site_perm_cache", None)


def test_every_finished_capability_registers_its_measures():
    assert {"screening", "followup", "training", "outcomes", "referrals", "referral_needs"} <= set(providers.PROVIDERS)


def test_screens_count_people_and_hide_a_small_group_of_refusals(cast):
    form = instrument()
    group = people(cast.site_a, 15)
    screened(cast, group[:12], "completed", positive=True, form=form)
    screened(cast, group[12:], "declined", form=form)
    for person in group[:11]:
        ResponseTask.objects.create(person=person, reason="disclosure", created_by=cast.alice, created_at=at(2))
    cube = build_cube(YEAR, [cast.site_a])
    site = cast.site_a.pk
    assert cube.values[("screening.offered", site, "Q1")] == 15
    assert cube.values[("screening.completed", site, "Q1")] == 12
    assert cube.values[("screening.positive", site, "Q1")] == 12
    assert cube.shown("screening.disclosed", site, "Q1") == 11
    assert cube.shown("screening.declined", site, "Q1") is None
    # 15 offered - 12 completed would give the 3 who said no: one of them is hidden too.
    assert cube.shown("screening.offered", site, "Q1") is None or cube.shown("screening.completed", site, "Q1") is None
    # With one screen each, people offered agree with the screening capability's own totals.
    totals = screen_counts(site_ids=[site], start=at(1, 1), end=at(4, 1))["PHQ-9"]
    assert totals["offered"] == 15 and totals["declined"] == 3


def test_a_person_screened_many_times_counts_once(cast):
    form = instrument()
    person = people(cast.site_a, 1)[0]
    for day in range(1, 13):
        screened(cast, [person], "completed", when=at(2, day), form=form)
    cube = build_cube(YEAR, [cast.site_a])
    assert cube.values[("screening.offered", cast.site_a.pk, "Q1")] == 1
    assert cube.shown("screening.offered", cast.site_a.pk, "Q1") is None


def due(cast, person, *, overdue_on, completed_on=None):
    event = CareEvent.objects.create(person=person, kind="enrolled", occurred_on=overdue_on, recorded_by=cast.alice)
    return DueItem.objects.create(person=person, site=person.site, event=event, label="Check", kind="visit",
                                  due_on=overdue_on - datetime.timedelta(days=7), overdue_on=overdue_on,
                                  status="completed" if completed_on else "requested", completed_on=completed_on)


def test_follow_up_on_time_counts_people_and_protects_the_late_few(cast):
    overdue = datetime.date(YEAR, 5, 20)
    group = people(cast.site_a, 25)
    for person in group[:20]:
        due(cast, person, overdue_on=overdue, completed_on=overdue - datetime.timedelta(days=2))
    for person in group[20:23]:
        due(cast, person, overdue_on=overdue, completed_on=overdue + datetime.timedelta(days=5))
    for person in group[23:]:
        due(cast, person, overdue_on=overdue)  # never done
    cube = build_cube(YEAR, [cast.site_a])
    site = cast.site_a.pk
    assert cube.values[("followup.due", site, "Q2")] == 25
    assert cube.values[("followup.on_time", site, "Q2")] == 20
    assert cube.values[("followup.late", site, "Q2")] == 5
    assert cube.shown("followup.due", site, "Q2") is None or cube.shown("followup.on_time", site, "Q2") is None


def test_follow_up_all_on_time_is_shown(cast):
    overdue = datetime.date(YEAR, 5, 20)
    for person in people(cast.site_a, 12):
        due(cast, person, overdue_on=overdue, completed_on=overdue)
    cube = build_cube(YEAR, [cast.site_a])
    assert cube.shown("followup.due", cast.site_a.pk, "Q2") == 12
    assert cube.shown("followup.on_time", cast.site_a.pk, "Q2") == 12


def test_training_completion_is_shown_for_today_and_hidden_for_a_small_staff(cast):
    Module.objects.update(active=False)
    module = Module.objects.create(code="core-1", core=True, title={"en": "Core"})
    cube = build_cube(YEAR, [cast.site_a])
    assert cube.rows[[r.key for r in cube.rows].index("training.staff")].periods == (NOW,)
    assert cube.shown("training.staff", cast.site_a.pk, NOW) is None  # the cast is fewer than 11
    now = timezone.now()
    for i in range(14):
        user = make_staff(f"nurse{i}", cast.site_a, "nurse")
        attempt = Attempt.objects.create(user=user, module=module, kind="check", passed=True)
        Completion.objects.create(user=user, module=module, attempt=attempt,
                                  expires_at=now + datetime.timedelta(days=300 if i < 12 else -1))
    from safehaven.training.queries import completion_summary

    summary = completion_summary([cast.site_a.pk])
    cube = build_cube(YEAR, [cast.site_a])
    assert cube.values[("training.staff", cast.site_a.pk, NOW)] == summary["staff"] >= 14
    assert cube.values[("training.core_complete", cast.site_a.pk, NOW)] == summary["core_complete"] == 12
    missing = summary["staff"] - 12
    if 0 < missing < 11:  # staff minus complete would reveal the few behind: one of them is hidden
        assert (cube.shown("training.staff", cast.site_a.pk, NOW) is None
                or cube.shown("training.core_complete", cast.site_a.pk, NOW) is None)


def test_paired_change_at_two_months_is_a_mean_with_its_own_n(cast):
    group = people(cast.site_a, 13)
    for person in group[:12]:
        scores(cast, person, PHQ9_TOTAL, [(at(2, 1), 15), (at(4, 1), 9)])  # 59 days later: -6
    scores(cast, group[12], PHQ9_TOTAL, [(at(2, 1), 15), (at(2, 8), 3)])  # a week later: not a pair
    for person in group[:5]:
        scores(cast, person, GAD7_TOTAL, [(at(2, 1), 12), (at(4, 1), 10)])
    for person in group[:11]:
        scores(cast, person, PCPTSD5_TOTAL, [(at(2, 1), 4), (at(3, 28), 2)])
    cube = build_cube(YEAR, [cast.site_a])
    site = cast.site_a.pk
    assert cube.values[("outcomes.phq9_change.n", site, "Q1")] == 12
    assert cube.shown("outcomes.phq9_change", site, "Q1") == -6.0
    assert cube.shown("outcomes.phq9_change.n", site, "Q1") == 12
    assert cube.values[("outcomes.gad7_change.n", site, "Q1")] == 5
    assert cube.shown("outcomes.gad7_change", site, "Q1") is None  # 5 people: never a statistic
    assert cube.shown("outcomes.pcptsd5_change", site, "Q1") == -2.0  # 11 people is enough
    assert cube.shown("outcomes.phq9_change", site, "Q2") == ""  # no data, nothing to hide


def test_a_statistic_of_a_small_site_cannot_be_worked_out_from_the_total(cast):
    evaluator_everywhere(cast)
    for person in people(cast.site_a, 15, "A"):
        scores(cast, person, PHQ9_TOTAL, [(at(2, 1), 15), (at(4, 1), 5)])
    for person in people(cast.site_b, 4, "B"):
        scores(cast, person, PHQ9_TOTAL, [(at(2, 1), 20), (at(4, 1), 20)])
    cube = build_cube(YEAR, [cast.site_a, cast.site_b])
    a, b = cast.site_a.pk, cast.site_b.pk
    assert cube.shown("outcomes.phq9_change", b, "Q1") is None
    # mean(all) * n(all) - mean(A) * n(A) = site B's sum: both can never be shown together.
    assert cube.shown("outcomes.phq9_change", a, "Q1") is None or cube.shown("outcomes.phq9_change", ALL, "Q1") is None
    assert cube.shown("outcomes.phq9_change.n", a, "Q1") is None or cube.shown("outcomes.phq9_change.n", ALL, "Q1") is None


def referral(cast, person, domain, *, sent, closed=None, status=None):
    return Referral.objects.create(
        person=person, site=person.site, need_domain=domain, service_name="Service", organization_name="Partner",
        created_by=cast.alice, requested_at=sent, status=status or ("completed" if closed else "requested"),
        status_changed_at=closed or sent,
    )


def test_referrals_by_need_show_the_share_closed_and_the_median_days_to_close(cast):
    group = people(cast.site_a, 21)
    for i, person in enumerate(group[:20]):
        referral(cast, person, "housing", sent=at(2, 1), closed=at(2, 1) + datetime.timedelta(days=5 + i))
    referral(cast, group[20], "legal", sent=at(2, 1))
    cube = build_cube(YEAR, [cast.site_a])
    site = cast.site_a.pk
    assert cube.shown("referral_needs.housing.referred", site, "Q1") == 20
    assert cube.shown("referral_needs.housing.closed", site, "Q1") == 20
    assert cube.shown("referral_needs.housing.share", site, "Q1") == 100
    assert cube.shown("referral_needs.legal.referred", site, "Q1") is None
    assert cube.shown("referral_needs.legal.share", site, "Q1") is None
    assert cube.shown("referral_needs.days_to_close", site, "Q1") == 14.5  # 5..24 days
    assert cube.shown("referral_needs.days_to_close.n", site, "Q1") == 20


def test_a_share_closed_is_hidden_when_its_counts_would_reveal_a_few_open(cast):
    group = people(cast.site_a, 14)
    for person in group[:12]:
        referral(cast, person, "housing", sent=at(2, 1), closed=at(2, 3))
    for person in group[12:]:
        referral(cast, person, "housing", sent=at(2, 1))
    cube = build_cube(YEAR, [cast.site_a])
    site = cast.site_a.pk
    assert cube.values[("referral_needs.housing.open", site, "Q1")] == 2
    assert cube.shown("referral_needs.housing.share", site, "Q1") is None
    assert cube.shown("referral_needs.days_to_close", site, "Q1") == 2.0


def test_a_median_with_fewer_than_eleven_people_is_never_shown(cast):
    def values(*, site_ids, start, end):
        for i, person in enumerate(group):
            yield ("wait", person.pk, person.site_id, at(3), 100 + i)
            yield ("wait", person.pk, person.site_id, at(3), 1)  # two numbers each: still 10 people

    group = people(cast.site_a, 10)
    providers.register_provider(providers.Provider(key="t_wait", title="Wait", values=values,
                                                   stat_rows=[("wait", "Waiting days", "median")]))
    try:
        cube = build_cube(YEAR, [cast.site_a])
        assert cube.stats[("t_wait.wait", cast.site_a.pk, "Q1")] is not None
        assert cube.shown("t_wait.wait", cast.site_a.pk, "Q1") is None
        group.append(people(cast.site_a, 1, "Z")[0])
        assert build_cube(YEAR, [cast.site_a]).shown("t_wait.wait", cast.site_a.pk, "Q1") == 50.5
    finally:
        providers.PROVIDERS.pop("t_wait")


def test_a_provider_with_an_unknown_statistic_is_refused():
    with pytest.raises(ValueError):
        providers.Provider(key="x", title="x", stat_rows=[("r", "R", "mode")])


def test_the_dashboard_shows_every_measure_and_no_longer_waits(cast, client_for):
    group = people(cast.site_a, 12)
    for person in group:
        scores(cast, person, PHQ9_TOTAL, [(at(2, 1), 15), (at(4, 1), 9)])
        referral(cast, person, "housing", sent=at(2, 1), closed=at(2, 4))
    page = client_for(cast.eve).get(URL, {"year": YEAR}).content.decode()
    for title in ("Screening", "Follow-up on time", "Staff training", "Change in symptoms after two months",
                  "Referrals by need"):
        assert f"<caption>{title}</caption>" in page
    assert "Not available yet" not in page
    assert re.search(r"PHQ-9 \(depression\): mean change after two months</th><td>-6.0</td>", page)
    assert "Today" in page
    csv = client_for(cast.eve).get(URL, {"year": YEAR, "format": "csv"}).content.decode("utf-8-sig")
    assert "-6.0" in csv and "Days from sending a referral" in csv


def test_the_dashboard_query_count_does_not_grow_with_the_measures_data(cast, client_for):
    client = client_for(cast.eve)
    form = instrument()

    def grow(n, name):
        group = people(cast.site_a, n, name)
        screened(cast, group, "completed", form=form)
        for person in group:
            scores(cast, person, PHQ9_TOTAL, [(at(2, 1), 15), (at(4, 1), 9)])
            referral(cast, person, "housing", sent=at(2, 1), closed=at(2, 4))
            due(cast, person, overdue_on=datetime.date(YEAR, 5, 1), completed_on=datetime.date(YEAR, 5, 1))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"year": YEAR}).status_code == 200
        return len(ctx.captured_queries)

    grow(2, "S")
    small = count()
    grow(14, "T")
    assert count() == small


def test_a_screen_positive_before_it_is_complete_counts_as_positive(cast):
    form = instrument()
    group = people(cast.site_a, 13)
    screened(cast, group[:11], "completed", positive=True, form=form)
    screened(cast, group[11:], "incomplete", positive=True, form=form)  # e.g. 2 yes, the rest skipped
    cube = build_cube(YEAR, [cast.site_a])
    site = cast.site_a.pk
    assert cube.values[("screening.positive", site, "Q1")] == 13
    assert cube.values[("screening.completed", site, "Q1")] == 11
