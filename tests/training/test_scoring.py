"""Knowledge checks are scored, pass marks complete modules, and refreshers fall due."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from safehaven.audit.models import AuditEvent
from safehaven.training import actions, queries
from safehaven.training.models import Answer, Attempt, Completion, TrainingSettings
from tests.training.conftest import complete, right_answers, wrong_answers

pytestmark = pytest.mark.django_db


def test_it_scores_each_answer_against_the_one_right_option(cast, curriculum):
    module = curriculum[0]
    answers = right_answers(module)
    first = next(iter(answers))
    answers[first] = wrong_answers(module)[first]
    attempt, score = actions.submit_attempt(by=cast.alice, module=module, kind="post", answers=answers)
    assert (score.correct, score.total, score.percent) == (2, 3, 66)
    assert not attempt.passed and not Completion.objects.exists()
    assert Answer.objects.filter(attempt=attempt, correct=False).get().question.key == first


def test_a_passed_check_completes_the_module_for_a_year_by_default(cast, curriculum):
    attempt, score = complete(cast.bob, curriculum[1])
    assert score.percent == 100 and attempt.passed
    completion = Completion.objects.get(user=cast.bob)
    assert completion.expires_at == completion.completed_at + relativedelta(months=12)
    assert AuditEvent.objects.filter(action="training.complete").exists()


def test_a_pre_test_never_completes_a_module(cast, curriculum):
    attempt, _score = actions.submit_attempt(by=cast.tom, module=curriculum[0], kind="pre",
                                             answers=right_answers(curriculum[0]))
    assert attempt.score == 100 and not attempt.passed and not Completion.objects.exists()


def test_unanswered_or_made_up_answers_are_refused_and_nothing_is_saved(cast, curriculum):
    module = curriculum[0]
    partial = dict(list(right_answers(module).items())[:1])
    with pytest.raises(actions.TrainingError, match="2 left"):
        actions.submit_attempt(by=cast.alice, module=module, kind="post", answers=partial)
    made_up = {k: "z'; DROP TABLE--" for k in right_answers(module)}
    with pytest.raises(actions.TrainingError):
        actions.submit_attempt(by=cast.alice, module=module, kind="post", answers=made_up)
    assert not Attempt.objects.exists()


def test_a_role_without_training_cannot_submit(cast, curriculum):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        complete(cast.eve, curriculum[0])


def test_the_refresher_interval_is_configurable_per_site(cast, curriculum):
    actions.update_settings(by=cast.erin, site=cast.site_a, gate_screening=False, gate_break_glass=False,
                            refresher_months=6)
    complete(cast.alice, curriculum[0])
    completion = Completion.objects.get(user=cast.alice)
    assert completion.expires_at == completion.completed_at + relativedelta(months=6)


def test_changing_the_interval_moves_existing_due_dates(cast, curriculum):
    complete(cast.alice, curriculum[0])
    complete(cast.dan, curriculum[0])
    actions.update_settings(by=cast.erin, site=cast.site_a, gate_screening=False, gate_break_glass=False,
                            refresher_months=24)
    mine = Completion.objects.get(user=cast.alice)
    assert mine.expires_at == mine.completed_at + relativedelta(months=24)
    other_site = Completion.objects.get(user=cast.dan)
    assert other_site.expires_at == other_site.completed_at + relativedelta(months=12)


def test_settings_refuse_a_silly_interval_and_other_sites(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(actions.TrainingError):
        actions.update_settings(by=cast.erin, site=cast.site_a, gate_screening=True, gate_break_glass=True,
                                refresher_months=0)
    with pytest.raises(PermissionDenied):
        actions.update_settings(by=cast.erin, site=cast.site_b, gate_screening=True, gate_break_glass=True,
                                refresher_months=12)
    with pytest.raises(PermissionDenied):
        actions.update_settings(by=cast.alice, site=cast.site_a, gate_screening=True, gate_break_glass=True,
                                refresher_months=12)
    assert not TrainingSettings.objects.exists()


def test_a_completion_becomes_due_soon_then_overdue(cast, curriculum):
    complete(cast.alice, curriculum[0])
    completion = Completion.objects.get()
    now = timezone.now()
    assert queries.completion_state(completion, now) == queries.CURRENT
    completion.expires_at = now + datetime.timedelta(days=10)
    assert queries.completion_state(completion, now) == queries.DUE_SOON
    completion.expires_at = now - datetime.timedelta(seconds=1)
    assert queries.completion_state(completion, now) == queries.OVERDUE
    assert queries.completion_state(None, now) == queries.NOT_STARTED
    assert queries.completion_state(None, now, started=True) == queries.STARTED


def test_retaking_the_check_after_expiry_renews_the_completion(cast, curriculum):
    complete(cast.alice, curriculum[0])
    Completion.objects.update(completed_at=timezone.now() - relativedelta(months=13),
                              expires_at=timezone.now() - relativedelta(months=1))
    states = {r.module.code: r.state for r in queries.learner_modules(cast.alice)}
    assert states[curriculum[0].code] == queries.OVERDUE
    complete(cast.alice, curriculum[0])
    assert Completion.objects.get().is_current
    assert Completion.objects.count() == 1
