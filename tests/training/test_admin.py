"""The administrator's figures on synthetic data, and the summary the evaluation capability uses."""

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safehaven.testing.factories import make_staff
from safehaven.training import actions, queries
from safehaven.training.models import Completion
from tests.training.conftest import complete, complete_core, right_answers

pytestmark = pytest.mark.django_db


def answers_with_wrong(module, wrong_keys):
    out = right_answers(module)
    for q in module.questions.filter(key__in=wrong_keys):
        out[q.key] = next(o["key"] for o in q.options if not o["correct"])
    return out


@pytest.fixture
def scenario(cast, curriculum):
    """Alice gains 67 points on module one, Bob 34; the third item is missed three times in six answers."""
    module = curriculum[0]
    q1, q2, q3 = [q.key for q in module.questions.order_by("order")]
    submit = actions.submit_attempt
    submit(by=cast.alice, module=module, kind="pre", answers=answers_with_wrong(module, [q2, q3]))
    submit(by=cast.alice, module=module, kind="post", answers=right_answers(module))
    submit(by=cast.bob, module=module, kind="pre", answers=answers_with_wrong(module, [q3]))
    submit(by=cast.bob, module=module, kind="post", answers=answers_with_wrong(module, [q3]))
    submit(by=cast.bob, module=module, kind="post", answers=right_answers(module))
    complete_core(cast.carol)
    complete(cast.dan, module)  # another clinic: never counted at Harbor
    Completion.objects.filter(user=cast.alice, module=module).update(
        completed_at=timezone.now() - relativedelta(months=13), expires_at=timezone.now() - relativedelta(months=1)
    )
    return module, (q1, q2, q3)


def test_the_gain_per_module_pairs_first_pre_test_with_latest_check(cast, scenario):
    module, _keys = scenario
    overview = queries.admin_overview([cast.site_a.pk])
    gain = next(g for g in overview.gains if g["module"].pk == module.pk)
    assert (gain["learners"], gain["pre"], gain["post"], gain["gain"]) == (2, 49.5, 100.0, 50.5)
    untouched = next(g for g in overview.gains if g["module"].code == "referrals-partners")
    assert untouched["learners"] == 0 and untouched["gain"] is None


def test_the_items_most_often_missed_come_first_with_their_rate(cast, scenario):
    _module, (_q1, q2, q3) = scenario
    missed = queries.admin_overview([cast.site_a.pk]).missed
    assert [(m["question"].key, m["wrong"], m["answered"], m["percent_wrong"]) for m in missed[:2]] == [
        (q3, 3, 6, 50), (q2, 1, 6, 17),  # carol answered too, all right
    ]


def test_overdue_refreshers_list_who_and_which_module(cast, scenario):
    module, _keys = scenario
    overdue = queries.admin_overview([cast.site_a.pk]).overdue
    assert [(c.user, c.module) for c in overdue] == [(cast.alice, module)]


def test_completion_by_person_and_by_role(cast, scenario):
    module, _keys = scenario
    overview = queries.admin_overview([cast.site_a.pk])
    people = {row.user.username: row for row in overview.staff}
    assert set(people) == {"alice", "bob", "carol", "fay", "ana", "erin", "tom"}  # not dan, not eve
    assert people["alice"].states[0] == queries.OVERDUE
    assert people["bob"].states[0] == queries.CURRENT
    assert people["tom"].states[0] == queries.NOT_STARTED
    assert people["carol"].core_complete and not people["bob"].core_complete
    roles = {r["role"]: r for r in overview.by_role}
    assert (roles["Clinician"]["staff"], roles["Clinician"]["core_complete"], roles["Clinician"]["percent"]) == (2, 1, 50)
    assert roles["Nurse"]["core_complete"] == 0
    assert "Evaluator (aggregate data only)" not in roles


def test_the_completion_summary_for_evaluation_has_counts_and_no_names(cast, scenario):
    module, _keys = scenario
    summary = queries.completion_summary([cast.site_a.pk])
    assert summary["staff"] == 7 and summary["core_complete"] == 1 and summary["percent_core_complete"] == 14
    first = next(m for m in summary["modules"] if m["code"] == module.code)
    assert (first["current"], first["overdue"], first["not_done"]) == (2, 1, 4)  # bob + carol; alice; others
    assert "alice" not in str(summary) and "Alice" not in str(summary)
    assert queries.completion_summary([cast.site_b.pk])["staff"] == 1


def test_the_staff_page_shows_the_figures(cast, client_for, scenario):
    module, (_q1, _q2, q3) = scenario
    page = client_for(cast.erin).get(reverse("training:staff")).content.decode()
    assert "Dr. Alice" in page and "Dr. Dan" not in page
    assert "50.5" in page and "3 (50%)" in page
    assert "Refresher overdue" in page


def overview_queries(cast, client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("training:staff")).status_code == 200
    return len(ctx)


def test_the_staff_page_runs_the_same_number_of_queries_as_data_grows(cast, client_for, scenario):
    client = client_for(cast.erin)
    small = overview_queries(cast, client)
    for n in range(6):
        user = make_staff(f"extra{n}", cast.site_a, "nurse")
        complete_core(user)
        actions.submit_attempt(by=user, module=scenario[0], kind="pre", answers=right_answers(scenario[0]))
    assert overview_queries(cast, client) == small


def test_the_summary_runs_the_same_number_of_queries_as_data_grows(cast, scenario):
    with CaptureQueriesContext(connection) as small:
        queries.completion_summary([cast.site_a.pk])
    for n in range(5):
        complete_core(make_staff(f"more{n}", cast.site_a, "advocate"))
    with CaptureQueriesContext(connection) as large:
        queries.completion_summary([cast.site_a.pk])
    assert len(small) == len(large) == 3
