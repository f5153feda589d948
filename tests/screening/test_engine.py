"""Instruments as data: import, refusal of malformed and unsupported files, scoring."""

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safehaven.screening import actions, engine
from safehaven.screening.models import Instrument

pytestmark = pytest.mark.django_db

SHIPPED = dict(actions.shipped_instrument_files())


def load(name):
    return json.loads(SHIPPED[name])


PHQ9 = load("phq-9.json")
GAD7 = load("gad-7.json")


def phq9_response(values):
    items = engine.answerable_items(PHQ9)
    raw = {item["linkId"]: str(v) for item, v in zip(items, values, strict=True)}
    response, problems = engine.build_response(PHQ9, raw)
    assert problems == []
    return response


def test_every_shipped_instrument_imports_with_source_and_terms(db):
    imported = actions.import_instruments(by="test", files=actions.shipped_instrument_files())
    assert len(imported) == 9
    for instrument in imported:
        assert instrument.resource["copyright"]
        assert instrument.resource["url"].startswith("https://")
    unverified = {i.name for i in imported if not i.wording_verified}
    assert {"RAFTKind", "ChildScreen6", "QYIT"} <= unverified
    assert Instrument.objects.get(name="PHQ9").code == "44249-1"


def test_importing_the_same_file_twice_replaces_it(db):
    actions.import_instruments(by="test", files=[("phq-9.json", SHIPPED["phq-9.json"])])
    actions.import_instruments(by="test", files=[("phq-9.json", SHIPPED["phq-9.json"])])
    assert Instrument.objects.filter(name="PHQ9").count() == 1


def test_malformed_json_is_refused_with_line_and_reason(db):
    text = '{\n  "resourceType": "Questionnaire",\n  "item": [\n}'
    with pytest.raises(engine.InstrumentError) as exc:
        actions.import_instruments(by="test", files=[("bad.json", text)])
    assert "bad.json: line 4" in exc.value.problems[0]
    assert Instrument.objects.count() == 0


def test_unsupported_elements_are_named_one_by_one(db):
    data = copy.deepcopy(PHQ9)
    data["item"][1]["type"] = "attachment"
    data["item"][2]["answerValueSet"] = "http://example.org/vs"
    data["item"][3]["extension"] = [{"url": "http://example.org/unknown", "valueString": "x"}]
    data["item"][4]["modifierExtension"] = [{"url": "http://example.org/m", "valueString": "x"}]
    data["item"][5]["answerOption"][0] = {"valueDate": "2020-01-01"}
    with pytest.raises(engine.InstrumentError) as exc:
        engine.check_questionnaire(json.dumps(data))
    text = "\n".join(exc.value.problems)
    assert "type 'attachment' is not supported" in text
    assert "answerValueSet is not supported" in text
    assert "'http://example.org/unknown' is not supported" in text
    assert "modifierExtension is not supported" in text
    assert "answerOption[0].valueDate is not supported" in text


def test_nothing_is_half_imported_when_one_file_is_bad(db):
    with pytest.raises(engine.InstrumentError):
        actions.import_instruments(by="test", files=[
            ("phq-9.json", SHIPPED["phq-9.json"]), ("bad.json", "[1, 2"),
        ])
    assert Instrument.objects.count() == 0


def test_invalid_fhir_is_refused_with_the_path(db):
    data = copy.deepcopy(GAD7)
    data["item"][1]["required"] = "perhaps"
    with pytest.raises(engine.InstrumentError) as exc:
        engine.check_questionnaire(json.dumps(data), source="gad.json")
    assert any("required" in p and "gad.json" in p for p in exc.value.problems)


def test_a_broken_fhirpath_expression_is_refused(db):
    data = copy.deepcopy(PHQ9)
    data["item"][-1]["extension"][0]["valueExpression"]["expression"] = "%resource.item.answer.value.median()"
    with pytest.raises(engine.InstrumentError) as exc:
        engine.check_questionnaire(json.dumps(data))
    assert "cannot be evaluated" in exc.value.problems[0]


def test_phq9_item_9_opens_a_safety_response_whatever_the_total():
    result = engine.score(PHQ9, phq9_response([0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert result.calculated[0].value == 1
    assert result.positive is False
    assert result.safety is True


def test_lhc_style_variables_score_as_published():
    phq2 = load("phq-2.json")
    raw = {"/44250-9": "3", "/44255-8": "1"}
    response, _ = engine.build_response(phq2, raw)
    result = engine.score(phq2, response)
    assert result.calculated[0].code == "55758-7"
    assert result.calculated[0].value == 4 and result.positive


def test_a_response_from_another_system_scores_from_codes_alone():
    codes = ["LA6571-9", "LA6570-1"] + ["LA6568-5"] * 7
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
        {"linkId": item["linkId"], "answer": [{"valueCoding": {"system": "http://loinc.org", "code": code}}]}
        for item, code in zip(engine.answerable_items(PHQ9), codes, strict=True)
    ]}
    result = engine.score(PHQ9, response)
    assert result.calculated[0].value == 5
    assert result.calculated[0].interpretation == "Mild (5-9)"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_phq9_total_is_the_sum_of_answers_and_bands_follow(values):
    result = engine.score(PHQ9, phq9_response(values))
    total = sum(values)
    calc = result.calculated[0]
    assert calc.value == total
    assert 0 <= calc.value <= 27
    assert calc.positive == (total >= 10)
    assert result.safety == (values[8] > 0)
    expected = next(b for lo, hi, b in [(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"),
                                         (15, 19, "Moderately severe"), (20, 27, "Severe")]
                    if lo <= total <= hi)
    assert calc.interpretation.startswith(expected + " (")


@pytest.mark.parametrize("total,band,positive", [
    (4, "Minimal", False), (5, "Mild", False), (9, "Mild", False), (10, "Moderate", True),
    (14, "Moderate", True), (15, "Moderately severe", True), (19, "Moderately severe", True),
    (20, "Severe", True), (27, "Severe", True),
])
def test_phq9_bands_at_their_edges(total, band, positive):
    values = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    values = (values + [0] * 9)[:8] + [0]
    if sum(values) < total:
        values[8] = total - sum(values)
    result = engine.score(PHQ9, phq9_response(values))
    assert result.calculated[0].value == total
    assert result.calculated[0].interpretation.startswith(band + " (")
    assert result.calculated[0].positive is positive


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=7, max_size=7))
def test_gad7_total_and_cut_off(values):
    items = engine.answerable_items(GAD7)
    raw = {item["linkId"]: str(v) for item, v in zip(items, values, strict=True)}
    response, _ = engine.build_response(GAD7, raw)
    calc = engine.score(GAD7, response).calculated[0]
    assert calc.value == sum(values) and calc.positive == (sum(values) >= 10)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=10, max_size=10))
def test_dast10_reverse_scores_item_3(answers):
    dast = load("dast-10.json")
    items = engine.answerable_items(dast)
    raw = {item["linkId"]: "true" if a else "false" for item, a in zip(items, answers, strict=True)}
    response, _ = engine.build_response(dast, raw)
    calc = engine.score(dast, response).calculated[0]
    expected = sum(answers) - (1 if answers[2] else 0) + (0 if answers[2] else 1)
    assert calc.value == expected and calc.positive == (expected >= 3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=6, max_size=6))
def test_youth_screen_is_positive_at_two_yes(answers):
    youth = load("youth-safety-6.json")
    items = engine.answerable_items(youth)
    raw = {item["linkId"]: "true" if a else "false" for item, a in zip(items, answers, strict=True)}
    response, _ = engine.build_response(youth, raw)
    result = engine.score(youth, response)
    assert result.positive == (sum(answers) >= 2) and result.youth_screen


def test_enable_when_drops_answers_to_questions_that_do_not_apply():
    ptsd = load("pc-ptsd-5.json")
    raw = {"/pc0": "false", "/pc1": "true", "/pc2": "true", "/pc3": "true", "/pc4": "false", "/pc5": "false"}
    response, _ = engine.build_response(ptsd, raw)
    result = engine.score(ptsd, response)
    assert result.calculated[0].value == 0 and (result.answered, result.asked) == (1, 1)
    raw["/pc0"] = "true"
    response, _ = engine.build_response(ptsd, raw)
    assert engine.score(ptsd, response).calculated[0].value == 3


def test_prefer_not_to_say_is_recorded_and_scores_nothing():
    items = engine.answerable_items(PHQ9)
    raw = {item["linkId"]: "2" for item in items[:8]}
    response, _ = engine.build_response(PHQ9, raw, declined={items[8]["linkId"]})
    declined = [i for i in response["item"] if i.get("extension")]
    assert declined[0]["extension"][0]["valueCode"] == "asked-declined"
    result = engine.score(PHQ9, response)
    # Eight answered: prorated, 16 * 9 / 8 = 18; item 9 declined is not a safety answer.
    assert result.calculated[0].value == 18 and result.safety is False
    assert (result.answered, result.asked, result.status) == (8, 9, "complete")


def test_bad_answers_are_reported_not_crashing():
    items = engine.answerable_items(PHQ9)
    _response, problems = engine.build_response(PHQ9, {items[0]["linkId"]: "7", items[1]["linkId"]: "x"})
    assert problems == [items[0]["linkId"], items[1]["linkId"]]


def test_score_command_prints_json(tmp_path, capsys):
    from django.core.management import call_command

    q = tmp_path / "q.json"
    q.write_text(SHIPPED["phq-9.json"])
    r = tmp_path / "r.json"
    r.write_text(json.dumps(phq9_response([1, 1, 1, 1, 1, 1, 1, 1, 0])))
    call_command("instruments", "score", str(q), str(r))
    out = json.loads(capsys.readouterr().out)
    assert out["calculated"][0]["value"] == 8 and out["safetyResponse"] is False


def test_import_command_is_all_or_nothing(tmp_path, db):
    from django.core.management import CommandError, call_command

    good = tmp_path / "phq-9.json"
    good.write_text(SHIPPED["phq-9.json"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Questionnaire", "item": [{"linkId": "1", "type": "url"}]}')
    with pytest.raises(CommandError, match="type 'url' is not supported"):
        call_command("instruments", "import", str(good), str(bad))
    assert Instrument.objects.count() == 0
    call_command("instruments", "import", str(good))
    assert Instrument.objects.count() == 1
