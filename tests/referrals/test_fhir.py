"""FHIR R4 ServiceRequest + Task export, valid under fhir.resources.R4B, and Task updates in."""

import json

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from safehaven.fhir.registry import all_specs
from safehaven.fhir.resources import referrals as fhir
from safehaven.referrals import actions
from safehaven.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _task_update(referral, status, **extra):
    task = fhir.task_to_fhir(referral)
    task["status"] = status
    task.update(extra)
    task.pop("output", None) if "output" not in extra else None
    return task


def test_service_request_and_task_validate_as_r4(cast, make_referral):
    referral = make_referral(send=True)
    request = ServiceRequest.model_validate(fhir.service_request_to_fhir(referral))
    task = Task.model_validate(fhir.task_to_fhir(referral))
    assert request.status == "active" and request.intent == "order"
    assert request.subject.reference == f"Patient/{cast.patient.public_id}"
    assert request.category[0].coding[0].code == "housing-instability"
    assert task.status == "requested" and task.focus.reference == f"ServiceRequest/{referral.public_id}"
    assert task.owner.reference == f"Organization/{referral.organization.public_id}"
    assert fhir.PROFILE_TASK in task.meta.profile
    Bundle.model_validate(fhir.bundle_for(referral))


@pytest.mark.parametrize("status", ["rejected", "completed", "cancelled"])
def test_closing_statuses_carry_their_reason_or_outcome(cast, make_referral, status):
    referral = make_referral(send=True)
    if status == "completed":
        referral = actions.change_status(by=cast.ana, referral=referral, to_status="accepted")
    referral = actions.change_status(by=cast.ana if status == "cancelled" else "P", referral=referral,
                                     to_status=status, reason="Full", outcome="A bed",
                                     actor_kind="staff" if status == "cancelled" else "partner_link")
    task = Task.model_validate(fhir.task_to_fhir(referral))
    if status == "completed":
        assert task.output[0].valueString == "A bed"
    else:
        assert task.statusReason.text == "Full"
    assert ServiceRequest.model_validate(fhir.service_request_to_fhir(referral)).status in {"completed", "revoked"}


def test_the_export_has_no_legal_name_and_no_confidential_address(cast, make_referral):
    raw = json.dumps(fhir.bundle_for(make_referral(send=True)))
    assert "Quintero" not in raw and "77 Hidden Lane" not in raw


def test_both_resources_are_registered(cast):
    specs = all_specs()
    assert specs["ServiceRequest"].model is Referral


def _write(tmp_path, data):
    path = tmp_path / "task.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_importing_task_updates_moves_the_referral(cast, make_referral, tmp_path, capsys):
    referral = make_referral(send=True)
    call_command("referrals", "import-task", _write(tmp_path, _task_update(referral, "accepted")))
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.events.last().actor_kind == "fhir_import"
    done = _task_update(referral, "completed", output=[{
        "type": {"text": "What was provided"}, "valueString": "Two weeks in shelter"}])
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": done}]}
    call_command("referrals", "import-task", _write(tmp_path, bundle))
    referral.refresh_from_db()
    assert referral.status == "completed" and referral.outcome == "Two weeks in shelter"
    assert "1 updated" in capsys.readouterr().out


@pytest.mark.parametrize("content,message", [
    ("{not json", "not readable JSON"),
    ({"resourceType": "Patient"}, "expected a FHIR Task"),
    ({"resourceType": "Task", "status": "accepted"}, "not a valid R4 Task"),
    ({"resourceType": "Task", "status": "nonsense", "intent": "order"}, "unknown status"),
    ({"resourceType": "Bundle", "type": "collection", "entry": []}, "holds no Task"),
])
def test_a_bad_file_gets_a_message_and_changes_nothing(cast, make_referral, tmp_path, content, message):
    referral = make_referral(send=True)
    with pytest.raises(CommandError, match=message):
        call_command("referrals", "import-task", _write(tmp_path, content))
    referral.refresh_from_db()
    assert referral.status == "requested"


def test_one_bad_task_in_a_bundle_changes_nothing(cast, make_referral, tmp_path):
    first, second = make_referral(send=True), make_referral(send=True)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _task_update(first, "accepted")},
        {"resource": _task_update(second, "completed")},  # not allowed from requested
    ]}
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("referrals", "import-task", _write(tmp_path, bundle))
    first.refresh_from_db()
    assert first.status == "requested"


def test_an_update_from_another_organisation_is_refused(cast, make_referral, other_org, tmp_path):
    referral = make_referral(send=True)
    task = _task_update(referral, "accepted", owner={"reference": f"Organization/{other_org.public_id}"})
    with pytest.raises(CommandError, match="owner"):
        call_command("referrals", "import-task", _write(tmp_path, task))


def test_an_update_for_an_unknown_referral_or_a_draft_is_refused(cast, make_referral, tmp_path):
    draft = make_referral()
    with pytest.raises(CommandError, match="no such referral"):
        call_command("referrals", "import-task", _write(tmp_path, _task_update(draft, "accepted")))
    missing = _task_update(draft, "accepted", id="00000000-0000-4000-8000-000000000000")
    missing["focus"] = {"reference": "ServiceRequest/00000000-0000-4000-8000-000000000000"}
    with pytest.raises(CommandError, match="no such referral"):
        call_command("referrals", "import-task", _write(tmp_path, missing))


def test_a_decline_without_a_reason_is_refused(cast, make_referral, tmp_path):
    referral = make_referral(send=True)
    with pytest.raises(CommandError, match="Give a reason"):
        call_command("referrals", "import-task", _write(tmp_path, _task_update(referral, "rejected")))
