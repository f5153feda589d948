"""Skipped and declined questions: no total unless the instrument's rules give one, never a 0.

Every item of every shipped instrument may be skipped or answered "prefer not to say".
When nothing is answered there is no total and no band (the response is declined); when
some are, each instrument's rule decides (PHQ-9: prorated with one or two missing; the
others: all items needed). A partial screen is never negative, and never hidden when the
answers given already reach the cut-off: it is positive and incomplete, "at least N". The
rules live in the Questionnaire files, so `safehaven instruments score` gives the same
answer as the clinic.
"""

import copy
import datetime
import json
import math

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safehaven.screening import actions, engine, queries
from safehaven.screening.models import (
    MandatoryReport,
    ResponseTask,
    ScoredResult,
    ScreeningResponse,
)
from safehaven.testing.factories import make_person

pytestmark = pytest.mark.django_db

SHIPPED = {name: json.loads(text) for name, text in actions.shipped_instrument_files()}
SKIP, DECLINE = "skip", "decline"
# Each instrument's published cut-off, written here independently of the files.
CUT_OFF = {
    "phq-9.json": 10, "gad-7.json": 10, "phq-2.json": 3, "audit-c.json": 3, "dast-10.json": 3,
    "pc-ptsd-5.json": 3, "work-safety-adult.json": 1, "young-adult-safety.json": 1, "youth-safety-6.json": 2,
}


def ordinal(item, index):
    option = item["answerOption"][index]
    value = engine.ext_value(option.get("valueCoding") or {}, engine.ORDINAL_URL,
                             engine.ext_value(option, engine.ORDINAL_URL))
    return int(value)


def item_points(name, item, answer):
    """Return what one answered item adds to the total (the instrument's published scoring)."""
    if item["type"] == "choice":
        return ordinal(item, answer)
    if name == "dast-10.json" and item["linkId"] == "/dast3":
        return 0 if answer else 1  # "always able to stop": No scores 1
    if item["linkId"] == "/pc0":
        return 0  # the exposure question gates the others and scores nothing
    return 1 if answer else 0


def expected_total(name, answered):
    """The rule each instrument follows, written independently of the Questionnaire files.

    `answered` is {linkId: (item, answer)} for the questions actually asked and answered.
    Return the total, or None when the rule gives none.
    """
    points = sum(item_points(name, item, a) for item, a in answered.values())
    n = len(answered)
    if name == "phq-9.json":
        if n == 9:
            return points
        return math.floor(points * 9 / n + 0.5) if n >= 7 else None
    if name == "pc-ptsd-5.json":
        exposure = answered.get("/pc0")
        if exposure is None:
            return None
        if exposure[1] is False:
            return 0
        return points if n == 6 else None
    questions = engine.answerable_items(SHIPPED[name])
    return points if n == len(questions) else None


def band(name, value):
    """Return the display of the file's score band that holds value."""
    total = next(i for _w, i in engine._walk_items(SHIPPED[name]["item"])
                 if engine.ext_value(i, engine.CALCULATED_URL) is not None)
    for ext in total["extension"]:
        if ext["url"] == engine.BAND_URL:
            parts = {e["url"]: next(v for k, v in e.items() if k.startswith("value")) for e in ext["extension"]}
            if parts["low"] <= value <= parts["high"]:
                return parts["display"]
    raise AssertionError(f"no band for {value}")


def choices_for(item):
    if item["type"] == "boolean":
        return st.sampled_from([SKIP, DECLINE, True, False])
    return st.one_of(st.sampled_from([SKIP, DECLINE]),
                     st.integers(min_value=0, max_value=len(item["answerOption"]) - 1))


def build(name, picks):
    """Return (response, {linkId: (item, answer)} of the questions asked and answered)."""
    questionnaire = SHIPPED[name]
    raw, declined = {}, set()
    for item, pick in zip(engine.answerable_items(questionnaire), picks, strict=True):
        if pick == DECLINE:
            declined.add(item["linkId"])
        elif pick != SKIP:
            raw[item["linkId"]] = ("true" if pick else "false") if item["type"] == "boolean" else str(pick)
    response, problems = engine.build_response(questionnaire, raw, declined=declined)
    assert problems == []
    kept = {i["linkId"]: i for i in engine.answerable_items(questionnaire)}
    answered = {}
    for entry in response["item"]:
        for answer in entry.get("answer") or []:
            value = answer.get("valueBoolean")
            if "valueCoding" in answer:
                item = kept[entry["linkId"]]
                value = next(idx for idx, opt in enumerate(item["answerOption"])
                             if opt["valueCoding"]["code"] == answer["valueCoding"]["code"])
            answered[entry["linkId"]] = (kept[entry["linkId"]], value)
    return response, answered


@pytest.mark.parametrize("name", sorted(SHIPPED))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_subset_of_answers_has_a_total_exactly_when_the_rule_gives_one(name, data):
    questionnaire = SHIPPED[name]
    picks = [data.draw(choices_for(item)) for item in engine.answerable_items(questionnaire)]
    response, answered = build(name, picks)
    result = engine.score(questionnaire, response)
    calc = result.calculated[0]
    want = expected_total(name, answered)
    points = sum(item_points(name, item, a) for item, a in answered.values())
    cut_off = engine.ext_value(next(i for i in questionnaire["item"] if i["linkId"] == calc.link_id),
                               engine.POSITIVE_URL)
    assert cut_off == CUT_OFF[name]
    assert calc.value == want
    # Positive exactly when the answers given reach the cut-off or the total does: never hidden.
    assert calc.positive == (points >= cut_off or (want is not None and want >= cut_off))
    assert result.positive == calc.positive
    if calc.value is None:
        assert result.status == ("declined" if not answered else "incomplete")
        if calc.positive:
            # Incomplete and positive: at least what the answers given add up to, with its band.
            assert calc.at_least == points and calc.interpretation == band(name, points)
        else:
            # Incomplete or declined below the cut-off: no band, no minimum, never "negative".
            assert calc.interpretation == "" and calc.at_least is None
    else:
        assert calc.value >= points and calc.at_least is None
        assert calc.interpretation == band(name, calc.value)
        assert result.status == "complete"
    assert result.answered == len(answered)
    # The calculated answer written into the response says the same (absent, not 0).
    total = [e for e in response["item"] if e["linkId"] == calc.link_id]
    assert (total[0]["answer"] if total else None) == (
        None if want is None else [{"valueInteger": want}])


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_answers_that_alone_reach_the_cut_off_are_positive_with_the_rest_unanswered(name):
    questionnaire = SHIPPED[name]
    items = engine.answerable_items(questionnaire)
    picks, points = [SKIP] * len(items), 0
    for index, item in enumerate(items):
        if points >= CUT_OFF[name]:
            break
        if item["type"] == "boolean":  # the answer that scores (yes to exposure opens PC-PTSD-5)
            picks[index] = not (name == "dast-10.json" and item["linkId"] == "/dast3")
        else:
            picks[index] = len(item["answerOption"]) - 1  # the highest-scoring answer
        points += item_points(name, item, picks[index])
    assert SKIP in picks and points >= CUT_OFF[name]
    response, _answered = build(name, picks)
    result = engine.score(questionnaire, response)
    calc = result.calculated[0]
    assert (calc.value, calc.at_least, calc.positive) == (None, points, True)
    assert (result.status, result.positive) == ("incomplete", True)
    assert calc.interpretation == band(name, points)


@pytest.mark.parametrize("name", sorted(SHIPPED))
@pytest.mark.parametrize("how", [SKIP, DECLINE])
def test_skipping_or_declining_every_item_gives_no_total_and_no_band(name, how):
    questionnaire = SHIPPED[name]
    response, answered = build(name, [how] * len(engine.answerable_items(questionnaire)))
    result = engine.score(questionnaire, response)
    assert answered == {}
    # The file's own rules give no total (not only the engine's guard against one).
    assert not engine._total_without_answers(questionnaire)
    assert [c.value for c in result.calculated] == [None]
    assert result.calculated[0].interpretation == "" and not result.positive and not result.safety
    assert result.status == "declined"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([SKIP, DECLINE]), st.integers(0, 3)), min_size=8, max_size=8),
       st.integers(min_value=1, max_value=3))
def test_phq9_item_9_above_0_opens_the_safety_response_whatever_else_is_missing(others, item9):
    phq9 = SHIPPED["phq-9.json"]
    response, _answered = build("phq-9.json", others + [item9])
    assert engine.score(phq9, response).safety is True
    response, _answered = build("phq-9.json", others + [0])
    assert engine.score(phq9, response).safety is False


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([SKIP, DECLINE, True, False]), min_size=6, max_size=6))
def test_the_youth_screen_is_positive_at_two_yes_and_otherwise_never_falsely_negative(picks):
    youth = SHIPPED["youth-safety-6.json"]
    response, _answered = build("youth-safety-6.json", picks)
    result = engine.score(youth, response)
    yes = sum(1 for p in picks if p is True)
    assert result.positive == (yes >= 2)
    if any(p in (SKIP, DECLINE) for p in picks):
        # Never a total from a partial screen: positive at two yes, "at least 2".
        assert result.calculated[0].value is None and result.status != "complete"
        assert result.calculated[0].at_least == (yes if yes >= 2 else None)


def test_phq9_with_two_missing_is_prorated_and_with_three_has_no_total():
    phq9 = SHIPPED["phq-9.json"]
    response, _ = build("phq-9.json", [2, 2, 1, 1, 1, 1, 1, SKIP, DECLINE])
    result = engine.score(phq9, response)
    # 9 points from 7 answers: 9 * 9 / 7 = 11.57, rounded to 12 (Moderate, positive).
    assert result.calculated[0].value == 12 and result.positive
    assert (result.answered, result.asked) == (7, 9)
    response, _ = build("phq-9.json", [1, 1, 1, 1, 1, 1, SKIP, SKIP, DECLINE])
    result = engine.score(phq9, response)
    assert result.calculated[0].value is None and result.status == "incomplete" and not result.positive


def test_phq9_with_three_missing_whose_answers_reach_10_is_positive_at_least_that():
    phq9 = SHIPPED["phq-9.json"]
    response, _ = build("phq-9.json", [3, 3, 2, 2, 1, 1, SKIP, SKIP, DECLINE])
    result = engine.score(phq9, response)
    calc = result.calculated[0]
    assert calc.value is None and calc.at_least == 12 and calc.positive and result.positive
    assert calc.interpretation == "Moderate (10-14)" and result.status == "incomplete"
    assert (result.answered, result.asked) == (6, 9)
    # The lowest possible total is not the total: nothing is written into the response.
    assert not [e for e in response["item"] if e["linkId"] == calc.link_id]
    out = result.as_json()["calculated"][0]
    assert (out["value"], out["atLeast"], out["positive"]) == (None, 12, True)


def test_the_score_command_gives_the_same_answer_as_the_clinic(tmp_path, capsys):
    from django.core.management import call_command

    q = tmp_path / "phq-9.json"
    q.write_text(json.dumps(SHIPPED["phq-9.json"]))
    r = tmp_path / "r.json"
    r.write_text(json.dumps(build("phq-9.json", [DECLINE] * 9)[0]))
    call_command("instruments", "score", str(q), str(r))
    out = json.loads(capsys.readouterr().out)
    assert out["calculated"][0]["value"] is None and out["calculated"][0]["interpretation"] == ""
    assert (out["result"], out["answered"], out["asked"], out["positive"]) == ("declined", 0, 9, False)
    r.write_text(json.dumps(build("phq-9.json", [1, 1, 1, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP])[0]))
    call_command("instruments", "score", str(q), str(r))
    out = json.loads(capsys.readouterr().out)
    assert out["calculated"][0]["value"] is None and (out["result"], out["answered"]) == ("incomplete", 3)


def test_a_file_that_totals_nothing_as_0_is_pointed_out_and_gives_no_total():
    old = copy.deepcopy(SHIPPED["phq-9.json"])
    total = old["item"][-1]
    total["extension"] = [e for e in total["extension"] if e["url"] != engine.VARIABLE_URL]
    calc = next(e for e in total["extension"] if e["url"] == engine.CALCULATED_URL)
    calc["valueExpression"]["expression"] = \
        "%resource.item.where(linkId != '/44261-6').answer.value.ordinal().sum()"
    assert any("even when no question is answered" in n for n in engine.scoring_notes(old))
    assert not any("even when no question is answered" in n for n in engine.scoring_notes(SHIPPED["phq-9.json"]))
    response, _ = engine.build_response(old, {}, declined={"/44250-9"})
    assert engine.score(old, response).calculated[0].value is None


# --- recorded, shown and exported -------------------------------------------------------------

def ask_url(session, instrument):
    return reverse("screening:ask", args=[session.public_id, instrument.public_id])


def post_answers(client, session, instrument, picks):
    data = {}
    for index, pick in enumerate(picks):
        if pick == DECLINE:
            data[f"a{index}"] = "__prefer_not__"
        elif pick != SKIP:
            data[f"a{index}"] = ("true" if pick else "false") if isinstance(pick, bool) else str(pick)
    response = client.post(ask_url(session, instrument), data)
    assert response.status_code == 302
    return ScreeningResponse.objects.filter(instrument=instrument).latest("id")


def test_declining_every_phq9_item_is_recorded_as_declined_never_as_0_minimal(
    cast, client_for, instruments, private_session
):
    from fhir.resources.R4B.observation import Observation

    from safehaven.fhir.resources.screening import observation_to_fhir

    client = client_for(cast.alice)
    response = post_answers(client, private_session, instruments["PHQ9"], [DECLINE] * 9)
    assert (response.status, response.outcome, response.positive) == ("completed", "declined", False)
    assert (response.answered, response.asked) == (0, 9)
    result = ScoredResult.objects.get()
    assert result.value is None and result.data_absent_reason == "asked-declined"
    assert result.interpretation == "" and not result.positive
    assert not ResponseTask.objects.exists()
    observation = observation_to_fhir(result)
    Observation.model_validate(observation)
    assert "valueQuantity" not in observation and "interpretation" not in observation
    assert observation["dataAbsentReason"]["coding"][0]["code"] == "asked-declined"
    assert queries.score_history([cast.patient.pk], ["44261-6"]) == []
    for url in (reverse("screening:session", args=[private_session.public_id]),
                reverse("people:chart", args=[cast.patient.public_id])):
        page = client.get(url).content.decode()
        assert "declined: no question answered, no total" in page
        assert "Minimal" not in page and "PHQ-9 (mood): 0" not in page


def test_a_partial_phq9_shows_incomplete_n_of_m_not_a_score(cast, client_for, instruments, private_session):
    from safehaven.fhir.resources.screening import observation_to_fhir

    client = client_for(cast.alice)
    response = post_answers(client, private_session, instruments["PHQ9"], [1, 0, 2] + [SKIP] * 6)
    assert response.outcome == "incomplete" and (response.answered, response.asked) == (3, 9)
    result = ScoredResult.objects.get()
    assert result.value is None and result.data_absent_reason == "unknown"
    assert "3 of 9" in observation_to_fhir(result)["dataAbsentReason"]["text"]
    for url in (reverse("screening:session", args=[private_session.public_id]),
                reverse("people:chart", args=[cast.patient.public_id])):
        page = client.get(url).content.decode()
        assert "incomplete: 3 of 9 answered, no total" in page
        assert "Minimal" not in page


def test_a_prorated_phq9_shows_how_many_were_answered(cast, client_for, instruments, private_session):
    client = client_for(cast.alice)
    post_answers(client, private_session, instruments["PHQ9"], [1, 1, 1, 1, 1, 1, 1, 1, SKIP])
    result = ScoredResult.objects.get()
    assert result.value == 9 and result.interpretation.startswith("Mild")
    page = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Mild (5-9) (8 of 9 answered)" in page
    assert queries.score_history([cast.patient.pk], ["44261-6"])[0]["value"] == 9


def test_item_9_alone_opens_the_same_visit_safety_task(cast, client_for, instruments, private_session):
    response = post_answers(client_for(cast.alice), private_session, instruments["PHQ9"],
                            [DECLINE] * 8 + [2])
    assert response.outcome == "incomplete" and response.positive
    assert ScoredResult.objects.get().value is None
    task = ResponseTask.objects.get()
    assert task.reason == "safety" and task.priority == "stat"


def test_two_yes_on_a_partial_youth_screen_opens_the_mandatory_report(cast, client_for, instruments):
    today = datetime.date.today()
    minor = make_person(cast.alice, cast.site_a, "Lena", date_of_birth=today.replace(year=today.year - 15))
    session = actions.start_session(by=cast.alice, person=minor)
    actions.record_privacy(by=cast.alice, session=session, alone=True)
    actions.record_confidentiality(by=cast.alice, session=session)
    client = client_for(cast.alice)
    youth = instruments["ChildScreen6"]
    response = post_answers(client, session, youth, [True, SKIP, DECLINE, True, SKIP, SKIP])
    # Positive, and incomplete: two yes answers are not the total of six questions.
    assert response.outcome == "incomplete" and response.positive
    result = ScoredResult.objects.get()
    assert (result.value, result.at_least, result.positive) == (None, 2, True)
    assert MandatoryReport.objects.filter(person=minor).count() == 1
    page = client.get(reverse("screening:session", args=[session.public_id])).content.decode()
    assert "at least 2 (Positive (2 or more) or higher) — incomplete: 2 of 6 answered" in page


def test_one_yes_and_the_rest_skipped_is_incomplete_not_negative_on_the_youth_screen(
    cast, client_for, instruments, private_session
):
    youth = instruments["ChildScreen6"]
    response = post_answers(client_for(cast.alice), private_session, youth, [True, False] + [SKIP] * 4)
    assert response.outcome == "incomplete" and not response.positive
    result = ScoredResult.objects.get()
    assert result.value is None and result.interpretation == ""


def test_a_partial_phq9_already_past_the_cut_off_is_recorded_shown_and_exported_as_positive(
    cast, client_for, instruments, private_session
):
    from fhir.resources.R4B.observation import Observation

    from safehaven.fhir.resources.screening import MINIMUM_TOTAL, observation_to_fhir

    client = client_for(cast.alice)
    response = post_answers(client, private_session, instruments["PHQ9"], [3, 3, 2, 2, 1, 1, SKIP, SKIP, DECLINE])
    assert (response.outcome, response.positive, response.answered, response.asked) == ("incomplete", True, 6, 9)
    result = ScoredResult.objects.get()
    assert (result.value, result.at_least, result.positive) == (None, 12, True)
    assert result.data_absent_reason == "unknown" and result.interpretation == "Moderate (10-14)"
    # A positive screen opens its follow-up, complete or not.
    assert ResponseTask.objects.get(response=response).reason == "positive_screen"
    for url in (reverse("screening:session", args=[private_session.public_id]),
                reverse("people:chart", args=[cast.patient.public_id])):
        page = client.get(url).content.decode()
        assert "at least 12 (Moderate (10-14) or higher) — incomplete: 6 of 9 answered" in page
    # Not a total: trajectories and outcome measures do not see it.
    assert queries.score_history([cast.patient.pk], [queries.PHQ9_TOTAL]) == []
    assert queries.screen_counts()["PHQ9"]["positive"] == 1
    # FHIR: no value for the LOINC total score, a data-absent reason, Positive, and the lowest
    # possible total under a local code.
    observation = observation_to_fhir(result)
    Observation.model_validate(observation)
    assert "valueQuantity" not in observation
    assert observation["code"]["coding"][0]["code"] == queries.PHQ9_TOTAL
    assert observation["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "6 of 9 questions answered" in observation["dataAbsentReason"]["text"]
    [interpretation] = observation["interpretation"]
    assert interpretation["coding"][0]["code"] == "POS"
    assert interpretation["text"] == "At least 12: Moderate (10-14) or higher"
    [component] = observation["component"]
    assert component["code"]["coding"] == [MINIMUM_TOTAL] and MINIMUM_TOTAL["code"] != queries.PHQ9_TOTAL
    assert component["valueQuantity"]["value"] == 12
    assert queries.PHQ9_TOTAL not in json.dumps(component)


def test_a_partial_phq9_below_the_cut_off_exports_no_interpretation_and_no_component(
    cast, client_for, instruments, private_session
):
    from fhir.resources.R4B.observation import Observation

    from safehaven.fhir.resources.screening import observation_to_fhir

    post_answers(client_for(cast.alice), private_session, instruments["PHQ9"], [3, 3, 2, 1] + [SKIP] * 5)
    result = ScoredResult.objects.get()
    assert (result.value, result.at_least, result.positive, result.interpretation) == (None, None, False, "")
    observation = observation_to_fhir(result)
    Observation.model_validate(observation)
    assert not {"valueQuantity", "interpretation", "component"} & set(observation)
