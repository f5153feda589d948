"""`safehaven instruments rescore`: responses scored under version 1.0.0's rules, corrected.

Version 1.0.0 of the shipped instruments summed skipped answers as 0. The responses it
scored are found by a dry run (counts only, nothing changes) and corrected with --apply
as a clinical record is: the old result kept and marked entered-in-error, an amended one
replacing it, one audit event per response, in batches, and a second run changes nothing.
"""

import copy
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from fhir.resources.R4B.observation import Observation

from safehaven.audit import chain
from safehaven.audit.models import AuditEvent
from safehaven.fhir.resources.screening import observation_to_fhir
from safehaven.screening import actions, engine, queries
from safehaven.screening.models import Instrument, ResponseTask, ScoredResult, ScreeningResponse

from .conftest import phq9_answers

pytestmark = pytest.mark.django_db

SHIPPED = {name: json.loads(text) for name, text in actions.shipped_instrument_files()}
# The totals of version 1.0.0 (git show 91fe5d8^): every skipped answer counted as 0.
OLD_TOTALS = {
    "phq-9.json": "%resource.item.where(linkId != '/44261-6').answer.value.ordinal().sum()",
    "gad-7.json": "%resource.item.where(linkId != '/70274-6').answer.value.ordinal().sum()",
}
SKIP, DECLINE = "skip", "decline"
CURRENT = SHIPPED["phq-9.json"]["version"]  # the shipped rules (1.2.0)
REASON = "Version 1.0.0 counted skipped questions as 0 (fixed in 1.1.0)"


def version_1_0_0(name, *, safety_rule=True):
    """Return the shipped file as it was in version 1.0.0: its total sums what is there."""
    data = copy.deepcopy(SHIPPED[name])
    data["version"] = "1.0.0"
    for _w, item in engine._walk_items(data["item"]):
        calc = engine.ext_value(item, engine.CALCULATED_URL)
        if calc is not None:
            item["extension"] = [e for e in item["extension"]
                                 if e["url"] not in {engine.VARIABLE_URL, engine.MINIMUM_URL}]
            calc["expression"] = OLD_TOTALS[name]
    if not safety_rule:
        data["extension"] = [e for e in data["extension"] if e["url"] != engine.SAFETY_URL]
    return data


def record_as_before(by, session, instrument, picks, *, follow_up=True):
    """Record a response as Safe Haven did before 1.1.0: outcome completed, every total kept.

    `picks` are answer indexes, SKIP or DECLINE, one per question. Without follow_up no
    task was opened (a follow-up nobody started).
    """
    items = engine.answerable_items(instrument.resource)
    raw = {i["linkId"]: str(p) for i, p in zip(items, picks, strict=True) if p not in (SKIP, DECLINE)}
    declined = {i["linkId"] for i, p in zip(items, picks, strict=True) if p == DECLINE}
    body, problems = engine.build_response(instrument.resource, raw, declined=declined)
    assert problems == []
    result = engine._score(instrument.resource, body, keep_totals_without_answers=True)
    response = ScreeningResponse.objects.create(
        person=session.person, session=session, instrument=instrument, author=by, status="completed",
        outcome="completed", positive=result.positive or result.safety, answers=json.dumps(body),
    )
    for calc in result.calculated:
        ScoredResult.objects.create(
            person=session.person, response=response, system=calc.system, code=calc.code,
            display=calc.display, value=calc.value, interpretation=calc.interpretation,
            positive=calc.positive, effective_at=response.authored_at,
        )
    if follow_up and (result.safety or result.positive):
        ResponseTask.objects.create(person=session.person, response=response, session=session,
                                    reason="safety" if result.safety else "positive_screen", created_by=by)
    return response


@pytest.fixture
def history(cast, private_session):
    """Responses scored by version 1.0.0, then the shipped version imported (which retires 1.0.0)."""
    old = {
        name: actions.import_instruments(by="test", files=[(name, json.dumps(version_1_0_0(name)))])[0]
        for name in OLD_TOTALS
    }
    phq9 = old["phq-9.json"]
    made = {
        "declined": record_as_before(cast.alice, private_session, phq9, [DECLINE] * 9),
        "three": record_as_before(cast.alice, private_session, phq9, [1, 0, 2] + [SKIP] * 6),
        # 8 answered, item 9 skipped: 8 (Mild) then; prorated 8 * 9 / 8 = 9 (Mild) now.
        "prorated": record_as_before(cast.alice, private_session, phq9, [1] * 8 + [SKIP]),
        # 9 from 8 answers was Mild, negative; prorated it is 10, Moderate: positive.
        "now_positive": record_as_before(cast.alice, private_session, phq9, [1] * 7 + [2, SKIP]),
        # Item 9 above 0 with nobody following it up, and one question skipped.
        "safety": record_as_before(cast.alice, private_session, phq9, [SKIP] + [1] * 7 + [2],
                                   follow_up=False),
        "complete": record_as_before(cast.alice, private_session, phq9, [1] * 8 + [0]),
        "gad7_complete": record_as_before(cast.alice, private_session, old["gad-7.json"], [1] * 7),
        "gad7_partial": record_as_before(cast.alice, private_session, old["gad-7.json"], [3, 3, 3] + [SKIP] * 4),
    }
    notes = actions.import_instruments(by="test", files=actions.shipped_instrument_files())
    assert any("retired" in n for i in notes for n in i.import_notes)
    new = {i.name: i for i in Instrument.objects.filter(version=CURRENT)}
    # Scored by the current rules: never a candidate.
    made["current"] = actions.record_response(by=cast.alice, session=private_session, instrument=new["PHQ9"],
                                              raw={}, declined_items=set())
    return made


def rescore(*args):
    out = StringIO()
    call_command("instruments", "rescore", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        sorted(ScoredResult.objects.values_list("pk", "status", "value", "data_absent_reason", "replaces_id")),
        sorted(ScreeningResponse.objects.values_list("pk", "outcome", "positive", "answered", "asked")),
        {r.pk: r.answers for r in ScreeningResponse.objects.all()},
        ResponseTask.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_dry_run_counts_what_would_change_and_changes_nothing(cast, history):
    before = snapshot()
    out = rescore()
    assert snapshot() == before
    assert f"PHQ-9 (mood) version 1.0.0 -> {CURRENT}: 5 of 6 completed responses to correct" in out
    assert "no total any more: nothing was answered (declined): 1" in out
    assert "no total any more: too few questions answered (incomplete): 1" in out
    assert "total changed: 3" in out
    assert "negative before, positive now: 1" in out
    assert "a safety rule is met that no follow-up answered: 1" in out
    assert "clinical review tasks to open for the care team: 2" in out
    assert f"GAD-7 (worry) version 1.0.0 -> {CURRENT}: 1 of 2 completed responses to correct" in out
    assert "6 responses to correct. Nothing was changed (dry run)" in out
    # Counts only: nobody's name or identifier.
    for text in filter(None, (cast.patient.chosen_name, cast.patient.legal_name, str(cast.patient.public_id),
                              *(str(r.public_id) for r in history.values()))):
        assert text not in out


def test_apply_needs_a_reason_and_a_known_member_of_staff(history):
    before = snapshot()
    with pytest.raises(CommandError, match="--reason"):
        rescore("--apply")
    with pytest.raises(CommandError, match="no active staff account"):
        rescore("--apply", "--reason", REASON, "--by", "nobody")
    assert snapshot() == before


def test_apply_corrects_exactly_the_affected_responses_audited_and_a_second_run_changes_nothing(
    cast, client_for, history
):
    untouched = {key: list(history[key].results.values_list("pk", "status", "value"))
                 for key in ("complete", "gad7_complete", "current")}
    first_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    out = rescore("--apply", "--reason", REASON, "--by", cast.erin.username, "--batch-size", "2")
    assert f"PHQ-9 (mood) version 1.0.0 -> {CURRENT}: 5 responses corrected" in out
    assert "clinical review tasks opened for the care team: 2" in out
    assert "6 responses corrected." in out

    corrected = [history[k] for k in ("declined", "three", "prorated", "now_positive", "safety", "gad7_partial")]
    for key, rows in untouched.items():
        assert list(history[key].results.values_list("pk", "status", "value")) == rows, key
    for response in corrected:
        old = response.results.get(status="entered-in-error")
        new = response.results.get(status="amended")
        assert new.replaces == old and new.code == old.code and new.effective_at == old.effective_at
        assert old.value is not None  # the original figures are kept as they were
    declined = history["declined"]
    declined.refresh_from_db()
    assert (declined.outcome, declined.answered, declined.asked) == ("declined", 0, 9)
    old = declined.results.get(status="entered-in-error")
    assert (old.value, old.interpretation) == (0, "Minimal (0-4)")
    new = declined.results.get(status="amended")
    assert new.value is None and new.data_absent_reason == "asked-declined" and new.interpretation == ""
    # The calculated answer in the QuestionnaireResponse no longer says 0.
    assert "/44261-6" not in json.dumps(json.loads(declined.answers))
    three = ScreeningResponse.objects.get(pk=history["three"].pk)
    assert three.outcome == "incomplete" and three.results.get(status="amended").data_absent_reason == "unknown"
    assert history["prorated"].results.get(status="amended").value == 9

    # One audit event per corrected response, with the reason and who approved it; the chain verifies.
    events = AuditEvent.objects.filter(action="screening.response.rescore", seq__gt=first_seq)
    assert sorted(e.object_id for e in events) == sorted(str(r.public_id) for r in corrected)
    assert {e.reason for e in events} == {REASON} and {e.actor_id for e in events} == {str(cast.erin.public_id)}
    assert {e.person_id for e in events} == {str(cast.patient.public_id)}
    event = events.get(object_id=str(declined.public_id))
    assert event.detail["changes"] == ["declined"] and event.detail["rules_version"] == CURRENT
    assert event.detail["entered_in_error"] == [str(old.public_id)] and event.detail["amended"] == [str(new.public_id)]
    assert chain.verify().ok

    # Turned positive, or a safety rule nobody answered: a review task for the care team.
    reviews = ResponseTask.objects.filter(reason="review")
    assert {t.response_id: t.priority for t in reviews} == {
        history["now_positive"].pk: "urgent", history["safety"].pk: "urgent"}
    assert {t.created_by for t in reviews} == {cast.erin}
    assert ScreeningResponse.objects.get(pk=history["now_positive"].pk).positive

    # Trajectories read the corrected totals, never the replaced ones.
    values = [row["value"] for row in queries.score_history([cast.patient.pk], [queries.PHQ9_TOTAL])]
    assert sorted(values) == [8, 9, 10, 10]

    # The chart: declined and incomplete instead of the old 0 and 3, marked corrected.
    client = client_for(cast.alice)
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "declined: no question answered, no total" in chart and "incomplete: 3 of 9 answered, no total" in chart
    assert "Minimal" not in chart and "(corrected)" in chart
    assert "A corrected score to review" in chart
    session = client.get(reverse("screening:session", args=[declined.session.public_id])).content.decode()
    assert "Minimal" not in session and "declined: no question answered, no total" in session

    # Again: nothing to correct, nothing written.
    before = snapshot()
    assert "Nothing to correct." in rescore("--apply", "--reason", REASON)
    assert "Nothing to correct." in rescore()
    assert snapshot() == before


def test_a_corrected_result_exports_as_valid_r4_amended_and_the_replaced_one_as_entered_in_error(history):
    rescore("--apply", "--reason", REASON)
    declined = history["declined"]
    new = declined.results.get(status="amended")
    resource = observation_to_fhir(new)
    Observation.model_validate(resource)
    assert resource["status"] == "amended"
    assert "valueQuantity" not in resource and resource["dataAbsentReason"]["coding"][0]["code"] == "asked-declined"
    old = Observation.model_validate(observation_to_fhir(new.replaces))
    assert old.status == "entered-in-error" and old.valueQuantity.value == 0
    prorated = observation_to_fhir(history["prorated"].results.get(status="amended"))
    Observation.model_validate(prorated)
    assert prorated["status"] == "amended" and prorated["valueQuantity"]["value"] == 9


def test_an_interrupted_run_leaves_each_response_corrected_and_audited_or_untouched(monkeypatch, history):
    real = actions.record
    calls = []

    def fail_on_the_third(**kwargs):
        calls.append(kwargs["action"])
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(**kwargs)

    monkeypatch.setattr(actions, "record", fail_on_the_third)
    with pytest.raises(RuntimeError):
        rescore("--apply", "--reason", REASON, "--batch-size", "2")
    monkeypatch.setattr(actions, "record", real)
    # The first batch of two is corrected with its audit events; the batch that failed is not.
    amended = ScoredResult.objects.filter(status="amended")
    events = AuditEvent.objects.filter(action="screening.response.rescore")
    assert amended.count() == 2 and events.count() == 2
    assert sorted(e.object_id for e in events) == sorted(str(r.response.public_id) for r in amended)
    assert ScoredResult.objects.filter(status="entered-in-error").count() == 2
    assert not ResponseTask.objects.filter(reason="review").exists()
    assert chain.verify().ok
    # Run again: the rest is corrected, the first two are not touched twice.
    assert "4 responses corrected." in rescore("--apply", "--reason", REASON)
    assert AuditEvent.objects.filter(action="screening.response.rescore").count() == 6
    assert ScoredResult.objects.filter(status="amended").count() == 6
    assert chain.verify().ok


def test_answers_that_do_not_fit_the_newer_version_are_left_as_they_are(cast, private_session):
    old = actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(version_1_0_0("phq-9.json")))])[0]
    response = record_as_before(cast.alice, private_session, old, [1] * 8 + [SKIP])
    body = json.loads(response.answers)
    body["item"].append({"linkId": "/not-in-1.1.0", "answer": [{"valueString": "x"}]})
    response.answers = json.dumps(body)
    response.save()
    actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(SHIPPED["phq-9.json"]))])
    out = rescore()
    assert "0 of 1 completed responses to correct" in out
    assert f"left as they are (answers that do not fit version {CURRENT}): 1" in out
    assert "Nothing to correct." in rescore("--apply", "--reason", REASON)
    assert list(response.results.values_list("status", flat=True)) == ["final"]


def test_only_an_active_newer_version_applies(cast, private_session):
    old = actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(version_1_0_0("phq-9.json")))])[0]
    record_as_before(cast.alice, private_session, old, [DECLINE] * 9)
    assert "Nothing to correct." in rescore()  # no newer version imported
    new = actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(SHIPPED["phq-9.json"]))])[0]
    actions.set_instrument_active(by="test", instrument=new, active=False)
    actions.set_instrument_active(by="test", instrument=old, active=True)
    assert "Nothing to correct." in rescore()  # the clinic went back to 1.0.0 on purpose
    actions.set_instrument_active(by="test", instrument=new, active=True)
    assert "1 of 1 completed responses to correct" in rescore()


def test_the_newest_version_is_found_by_number_not_by_text():
    from safehaven.screening.rescore import version_key

    assert version_key("1.10.0") > version_key("1.9.0") > version_key("1.1.0") > version_key("1.0.0")
    assert version_key("2") > version_key("1.9")
    assert version_key("") < version_key("0.1")  # no version comes before every version


def test_a_positive_screen_stays_positive_when_its_total_goes(cast, private_session):
    old = actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(version_1_0_0("phq-9.json")))])[0]
    # 15 from six answers: whatever the other three, at least 15, so positive; no total now.
    response = record_as_before(cast.alice, private_session, old, [3, 3, 3, 3, 3, 0, SKIP, SKIP, SKIP])
    assert response.positive and ResponseTask.objects.filter(response=response).count() == 1
    actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(SHIPPED["phq-9.json"]))])
    out = rescore("--apply", "--reason", REASON)
    assert "no total, but the answers given already reach the cut-off (positive, at least N): 1" in out
    assert "kept positive" not in out  # the newer rules say positive too
    response.refresh_from_db()
    assert response.outcome == "incomplete" and response.positive
    new = response.results.get(status="amended")
    assert (new.value, new.at_least, new.positive, new.interpretation) == (None, 15, True, "Moderately severe (15-19)")
    assert response.tasks.get().reason == "positive_screen"  # its follow-up stays as it was
    assert not ResponseTask.objects.filter(reason="review").exists()


def version_1_1_0(name):
    """Return the shipped file as it was in version 1.1.0: no minimum total, and the yes
    answers of a partial trafficking screen counted as its total once they reach the cut-off."""
    data = copy.deepcopy(SHIPPED[name])
    data["version"] = "1.1.0"
    for _w, item in engine._walk_items(data["item"]):
        if engine.ext_value(item, engine.CALCULATED_URL) is not None:
            item["extension"] = [e for e in item["extension"] if e["url"] != engine.MINIMUM_URL]
            if name == "youth-safety-6.json":
                engine.ext_value(item, engine.CALCULATED_URL)["expression"] = \
                    "iif(%answered = 6 or %yes >= 2, %yes, {})"
    return data


def test_a_partial_screen_1_1_0_hid_past_its_cut_off_is_corrected_to_positive_for_review(cast, private_session):
    old = {name: actions.import_instruments(by="test", files=[(name, json.dumps(version_1_1_0(name)))])[0]
           for name in ("phq-9.json", "youth-safety-6.json")}
    # Six PHQ-9 answers adding up to 12: 1.1.0 said incomplete and nothing else.
    items = engine.answerable_items(old["phq-9.json"].resource)
    hidden = actions.record_response(
        by=cast.alice, session=private_session, instrument=old["phq-9.json"],
        raw={i["linkId"]: str(v) for i, v in zip(items, [3, 3, 2, 2, 1, 1], strict=False)})
    assert (hidden.outcome, hidden.positive) == ("incomplete", False) and not hidden.tasks.exists()
    # Two yes on the youth screen, the rest skipped: 1.1.0 recorded '2' as if it were the total.
    items = engine.answerable_items(old["youth-safety-6.json"].resource)
    youth = actions.record_response(
        by=cast.alice, session=private_session, instrument=old["youth-safety-6.json"],
        raw={items[0]["linkId"]: "true", items[3]["linkId"]: "true"})
    assert youth.outcome == "completed" and youth.results.get().value == 2
    actions.import_instruments(by="test", files=actions.shipped_instrument_files())
    out = rescore("--apply", "--reason", "1.1.0 hid partial screens already past their cut-off")
    assert f"PHQ-9 (mood) version 1.1.0 -> {CURRENT}: 1 responses corrected" in out
    assert "negative before, positive now: 1" in out
    hidden.refresh_from_db()
    assert (hidden.outcome, hidden.positive) == ("incomplete", True)
    new = hidden.results.get(status="amended")
    assert (new.value, new.at_least, new.positive, new.interpretation) == (None, 12, True, "Moderate (10-14)")
    assert hidden.tasks.get().reason == "review"  # a clinician looks at it
    youth.refresh_from_db()
    assert (youth.outcome, youth.positive) == ("incomplete", True)
    new = youth.results.get(status="amended")
    assert (new.value, new.at_least, new.replaces.value) == (None, 2, 2)
    assert not youth.tasks.filter(reason="review").exists()  # positive before, its follow-up stands
    resource = observation_to_fhir(new)
    Observation.model_validate(resource)
    assert "valueQuantity" not in resource and resource["interpretation"][0]["coding"][0]["code"] == "POS"


def test_the_answers_of_a_response_recorded_today_score_the_same_again(cast, instruments, private_session):
    phq9 = instruments["PHQ9"]
    response = actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                                       raw=phq9_answers(phq9, [1, 1, 1, 1, 1, 1, 1, 1, 0]))
    from safehaven.screening import rescore as module

    assert module.check(module.load([response.pk]).get(), phq9) is None
