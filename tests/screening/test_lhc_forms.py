"""NLM LHC-Forms exports import and score as they are (issue #3)."""

import json

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from safehaven.screening import actions, engine
from safehaven.screening.models import Instrument, ScoredResult

from . import lhc_forms

pytestmark = pytest.mark.django_db

FIXTURE_TEXT = lhc_forms.FIXTURE.read_text(encoding="utf-8")
QUESTIONNAIRE = engine.check_questionnaire(FIXTURE_TEXT)
OLDER = engine.check_questionnaire(json.dumps(lhc_forms.phq9(rules=False)))
SYSTEMS = st.sampled_from([None, lhc_forms.LOINC])
ANSWERS = st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=3)), min_size=9, max_size=9)


def total_item(response):
    return next((item for _w, item in engine._walk_items(response["item"])
                 if item["linkId"] == lhc_forms.TOTAL_LINK), None)


def test_the_fixture_is_what_the_builder_writes():
    assert FIXTURE_TEXT == lhc_forms.fixture_text(), "run python -m tests.screening.lhc_forms"


def test_the_fixture_has_the_lhc_forms_shape():
    data = json.loads(FIXTURE_TEXT)
    assert "url" not in data and data["extension"] == [] and data["status"] == "draft"
    assert data["meta"]["tag"] == [{"code": "lformsVersion: 28.1.1"}]
    first = data["item"][0]
    assert first["linkId"] == "/44250-9" and "system" not in first["answerOption"][0]["valueCoding"]
    total = next(i for i in data["item"] if i["linkId"] == lhc_forms.TOTAL_LINK)
    assert total["type"] == "decimal" and total["code"][0]["code"] == "44261-6"
    names = [e["valueExpression"]["name"] for e in total["extension"] if e["url"] == engine.VARIABLE_URL]
    assert names == list("abcdefghi") + ["any_questions_answered"]


def test_the_import_command_takes_the_file_as_it_is_and_tells_the_administrator(tmp_path, capsys):
    path = tmp_path / "phq9-lhc.json"
    path.write_text(FIXTURE_TEXT)
    call_command("instruments", "import", str(path))
    out = capsys.readouterr().out
    assert "imported PHQ-9 quick depression assessment panel (http://loinc.org/q/44249-1|)" in out
    assert "has no url; Safe Haven identifies it as http://loinc.org/q/44249-1" in out
    assert "any_questions_answered is stored as anyQuestionsAnswered" in out
    assert "sets no cut-off" in out and "no follow-up opens automatically" in out
    assert "ships 'PHQ-9 (mood)' with the same LOINC code 44249-1" in out
    assert "cut-offs, a same-visit safety rule" in out
    instrument = Instrument.objects.get()
    assert (instrument.url, instrument.version, instrument.code) == ("http://loinc.org/q/44249-1", "", "44249-1")
    assert instrument.sensitive and not instrument.wording_verified
    call_command("instruments", "import", str(path))
    assert Instrument.objects.count() == 1  # the same LOINC code again replaces it


def test_the_stored_questionnaire_is_valid_r4():
    from fhir.resources.R4B.questionnaire import Questionnaire

    from safehaven.fhir.resources.screening import questionnaire_to_fhir

    instrument = actions.import_instruments(by="test", files=[("lhc.json", FIXTURE_TEXT)])[0]
    Questionnaire.model_validate(questionnaire_to_fhir(instrument))


def test_a_second_active_instrument_with_the_same_code_is_pointed_out(instruments):
    imported = actions.import_instruments(by="test", files=[("lhc.json", FIXTURE_TEXT)])[0]
    assert any("'PHQ-9 (mood)' has the same LOINC code 44249-1 and is active too" in n
               for n in imported.import_notes)


def test_without_url_or_loinc_code_it_is_refused_with_the_reason():
    data = lhc_forms.phq9()
    del data["identifier"], data["code"]
    with pytest.raises(engine.InstrumentError) as exc:
        engine.check_questionnaire(json.dumps(data), source="x.json")
    assert "no url and no LOINC code" in exc.value.problems[0]


def test_unknown_and_meaning_changing_extensions_are_refused_each_named_once(tmp_path):
    data = lhc_forms.phq9()
    for item in data["item"]:
        item["extension"].append({"url": "http://example.org/mystery", "valueBoolean": True})
    data["item"][1]["extension"].append({
        "url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression",
        "valueExpression": {"language": "text/fhirpath", "expression": "true"},
    })
    path = tmp_path / "q.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as exc:
        call_command("instruments", "import", str(path))
    text = str(exc.value)
    assert text.count("'http://example.org/mystery' is not supported") == 1
    assert "item[0] (/44250-9).extension 'http://example.org/mystery'" in text
    assert "(also in 10 more places)" in text
    assert "enableWhenExpression' is not supported: it decides by rule which questions are asked" in text
    assert Instrument.objects.count() == 0


@settings(max_examples=150, deadline=None)
@given(values=ANSWERS, option_system=SYSTEMS, answer_system=SYSTEMS, grouped=st.booleans(),
       difficulty=st.one_of(st.none(), st.integers(min_value=0, max_value=3)))
def test_every_answer_combination_scores_the_plain_sum(values, option_system, answer_system, grouped,
                                                        difficulty):
    questionnaire = engine.check_questionnaire(json.dumps(
        lhc_forms.phq9(grouped=grouped, option_system=option_system)))
    response = lhc_forms.response(values, system=answer_system, grouped=grouped, difficulty=difficulty)
    result = engine.score(questionnaire, response)
    answered = [v for v in values if v is not None]
    calc = result.calculated[0]
    assert (calc.code, calc.system) == ("44261-6", "http://loinc.org")
    assert result.positive is False and result.safety is False  # the file sets no cut-off or rule
    if answered:
        assert calc.value == sum(answered)
        assert total_item(response)["answer"] == [{"valueDecimal": sum(answered)}]
    else:
        assert calc.value is None
        assert total_item(response) is None or "answer" not in total_item(response)


def test_partial_answers_add_up_what_was_answered():
    response = lhc_forms.response([3, None, 2, None, None, None, None, None, 1])
    assert engine.score(QUESTIONNAIRE, response).calculated[0].value == 6


def test_a_coding_with_another_system_does_not_match():
    response = lhc_forms.response([3] + [None] * 8, system="http://example.org/other")
    questionnaire = engine.check_questionnaire(json.dumps(lhc_forms.phq9(option_system=lhc_forms.LOINC)))
    # the LHC rules compare codes only; our own ordinal() also needs the systems to agree
    assert engine.score(questionnaire, response).calculated[0].value == 3
    options = engine._options(questionnaire)["userInvocationTable"]["ordinal"]["fn"]
    assert options([{"system": "http://example.org/other", "code": "LA6571-9"}]) == []
    assert options([{"code": "LA6571-9"}]) == [3.0]
    assert options([{"system": lhc_forms.LOINC, "code": "LA6571-9"}]) == [3.0]


def test_no_answers_leave_the_total_absent_not_zero(cast, private_session):
    instrument = actions.import_instruments(by="test", files=[("lhc.json", FIXTURE_TEXT)])[0]
    response = actions.record_response(by=cast.alice, session=private_session, instrument=instrument,
                                       raw={}, declined_items={"/44250-9"})
    assert response.status == "completed" and response.outcome == "declined"
    result = ScoredResult.objects.get()
    assert result.value is None and result.data_absent_reason == "asked-declined"
    stored = json.loads(response.answers)
    assert total_item(stored) is None


def test_the_calculated_total_becomes_a_valid_r4_observation(cast, private_session):
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from safehaven.fhir.resources.screening import observation_to_fhir, response_to_fhir

    instrument = actions.import_instruments(by="test", files=[("lhc.json", FIXTURE_TEXT)])[0]
    items = engine.answerable_items(instrument.resource)
    assert [i["linkId"] for i in items] == [f"/{c}" for c in lhc_forms.CODES] + ["/69722-7"]
    raw = {item["linkId"]: "2" for item in items}  # 2 = "More than half the days"; difficulty too
    response = actions.record_response(by=cast.alice, session=private_session, instrument=instrument,
                                       raw=raw)
    result = ScoredResult.objects.get()
    assert (result.system, result.code, result.value) == ("http://loinc.org", "44261-6", 18)
    assert result.positive is False and not response.positive
    observation = observation_to_fhir(result)
    Observation.model_validate(observation)
    assert observation["code"]["coding"][0]["code"] == "44261-6"
    assert observation["valueQuantity"]["value"] == 18
    exported = response_to_fhir(response)
    QuestionnaireResponse.model_validate(exported)
    assert exported["questionnaire"] == "http://loinc.org/q/44249-1"
    assert total_item(exported)["answer"] == [{"valueDecimal": 18}]


def test_the_older_export_without_calculation_imports_and_scores_nothing(cast, private_session):
    text = json.dumps(lhc_forms.phq9(rules=False))
    instrument = actions.import_instruments(by="test", files=[("old.json", text)])[0]
    notes = " ".join(instrument.import_notes)
    assert "calculates no score" in notes and "/39156-5 is not shown on the tablet" in notes
    staff = [i["linkId"] for i in engine.answerable_items(instrument.resource)]
    tablet = [i["linkId"] for i in engine.answerable_items(instrument.resource, self_administered=True)]
    assert lhc_forms.TOTAL_LINK in staff and lhc_forms.TOTAL_LINK not in tablet
    raw = {f"/{code}": "3" for code in lhc_forms.CODES}
    response = actions.record_response(by=cast.alice, session=private_session, instrument=instrument,
                                       raw=raw)
    assert engine.score(instrument.resource, json.loads(response.answers)).calculated == []
    assert not ScoredResult.objects.exists() and not response.positive


def test_the_score_command_prints_the_total(tmp_path, capsys):
    q = tmp_path / "Q.json"
    q.write_text(FIXTURE_TEXT)
    r = tmp_path / "R.json"
    r.write_text(json.dumps(lhc_forms.response([1, 1, 1, 1, 1, 1, 1, 1, 2])))
    call_command("instruments", "score", str(q), str(r))
    out = json.loads(capsys.readouterr().out)
    assert out["calculated"][0] == {
        "linkId": "/39156-5", "code": "44261-6", "system": "http://loinc.org",
        "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
        "value": 10, "atLeast": None, "interpretation": "", "positive": False,
    }
    r.write_text(json.dumps(lhc_forms.response([None] * 9)))
    call_command("instruments", "score", str(q), str(r))
    assert json.loads(capsys.readouterr().out)["calculated"][0]["value"] is None
    q.write_text(json.dumps(lhc_forms.phq9(rules=False)))
    call_command("instruments", "score", str(q), str(r))
    assert json.loads(capsys.readouterr().out)["calculated"] == []


def _variable(name, expression):
    return {"url": engine.VARIABLE_URL,
            "valueExpression": {"name": name, "language": "text/fhirpath", "expression": expression}}


def _calculated(expression):
    return {"url": engine.CALCULATED_URL,
            "valueExpression": {"language": "text/fhirpath", "expression": expression}}


def _scoped(outside: str) -> dict:
    answer = "%resource.repeat(item).where(linkId = 'n1').answer.value"
    return {
        "resourceType": "Questionnaire", "url": "https://example.org/q", "status": "active",
        "item": [
            {"linkId": "g1", "type": "group", "extension": [_variable("x", answer)], "item": [
                {"linkId": "n1", "type": "integer"},
                {"linkId": "g1b", "type": "group", "extension": [_variable("x", "100")], "item": [
                    {"linkId": "inner", "type": "integer", "extension": [_calculated("%x + 1")]},
                ]},
                {"linkId": "t1", "type": "integer",
                 "extension": [_calculated("%x + %questionnaire.item.count()")]},
            ]},
            {"linkId": "t2", "type": "integer", "extension": [_calculated(outside)]},
        ],
    }


def test_variables_on_nested_items_see_resource_questionnaire_and_their_own_scope():
    questionnaire = engine.check_questionnaire(json.dumps(_scoped("%resource.item.count()")))
    response = {"resourceType": "QuestionnaireResponse", "status": "completed",
                "item": [{"linkId": "g1", "item": [{"linkId": "n1", "answer": [{"valueInteger": 5}]}]}]}
    values = {c.link_id: c.value for c in engine.score(questionnaire, response).calculated}
    assert values == {"inner": 101, "t1": 7, "t2": 1}


def test_a_variable_used_outside_its_item_is_refused_at_import():
    with pytest.raises(engine.InstrumentError) as exc:
        engine.check_questionnaire(json.dumps(_scoped("%x + 1")))
    assert exc.value.problems == [
        "item t2: FHIRPath expression '%x + 1' cannot be evaluated: Attempting to access an undefined"
        " environment variable: x (a variable is usable only on the item that declares it and the"
        " items inside it)"
    ]


def test_enable_when_matches_a_coding_with_or_without_a_system():
    item = {"enableWhen": [{"question": "/44250-9", "operator": "=",
                            "answerCoding": {"system": "http://loinc.org", "code": "LA6571-9"}}]}
    assert engine.is_enabled(item, {"/44250-9": [{"valueCoding": {"code": "LA6571-9"}}]})
    item["enableWhen"][0]["answerCoding"].pop("system")
    assert engine.is_enabled(item, {"/44250-9": [{"valueCoding": {"system": "http://loinc.org",
                                                                    "code": "LA6571-9"}}]})
    assert not engine.is_enabled(item, {"/44250-9": [{"valueCoding": {"code": "LA6570-1"}}]})
    item["enableWhen"][0]["answerCoding"]["system"] = "http://example.org/other"
    assert not engine.is_enabled(item, {"/44250-9": [{"valueCoding": {"system": "http://loinc.org",
                                                                        "code": "LA6571-9"}}]})


def test_the_lhc_phq9_is_asked_on_the_tablet_with_its_answer_labels(cast, client_for, private_session):
    from django.urls import reverse

    instrument = actions.import_instruments(by="test", files=[("lhc.json", FIXTURE_TEXT)])[0]
    url = reverse("screening:tablet_ask", args=[private_session.public_id, instrument.public_id])
    page = client_for(cast.alice).get(url).content.decode()
    assert "Little interest or pleasure in doing things" in page and "More than half the days" in page
    assert "PHQ-9 total score" not in page
