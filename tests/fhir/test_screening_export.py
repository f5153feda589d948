"""Corrected screening results leave in incremental exports, linked to the result they replace.

A correction (`safehaven instruments rescore --apply`) marks the old result entered in
error and adds an amended one, long after the screening. Their meta.lastUpdated is when
that happened, not the screening date, so a bulk export `_since` the last one sends both;
the amended Observation names the one it replaces.
"""

import copy
import datetime
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL
from safehaven.fhir.resources.screening import REPLACES_URL, observation_to_fhir
from safehaven.screening import actions, engine
from safehaven.screening.models import ScoredResult, ScreeningResponse
from tests.fhir.helpers import bearer, grant, make_client

pytestmark = pytest.mark.django_db

SHIPPED = {name: json.loads(text) for name, text in actions.shipped_instrument_files()}
CATEGORIES = ("identity_contact", "clinical_summary", "mental_health")


def phq9_1_0_0():
    """The shipped PHQ-9 as version 1.0.0 had it: skipped answers summed as 0."""
    data = copy.deepcopy(SHIPPED["phq-9.json"])
    data["version"] = "1.0.0"
    total = data["item"][-1]
    total["extension"] = [e for e in total["extension"] if e["url"] not in {engine.VARIABLE_URL, engine.MINIMUM_URL}]
    engine.ext_value(total, engine.CALCULATED_URL)["expression"] = (
        "%resource.item.where(linkId != '/44261-6').answer.value.ordinal().sum()")
    return data


@pytest.fixture
def corrected(cast):
    """A partial PHQ-9 scored '3, Minimal' by 1.0.0 a month ago, corrected today."""
    old = actions.import_instruments(by="test", files=[("phq-9.json", json.dumps(phq9_1_0_0()))])[0]
    session = actions.start_session(by=cast.alice, person=cast.patient)
    actions.record_privacy(by=cast.alice, session=session, alone=True)
    actions.record_confidentiality(by=cast.alice, session=session)
    items = engine.answerable_items(old.resource)
    response = actions.record_response(by=cast.alice, session=session, instrument=old,
                                       raw={items[0]["linkId"]: "1", items[2]["linkId"]: "2"})
    month_ago = timezone.now() - datetime.timedelta(days=30)
    ScreeningResponse.objects.filter(pk=response.pk).update(authored_at=month_ago, updated_at=month_ago)
    ScoredResult.objects.filter(response=response).update(effective_at=month_ago, updated_at=month_ago)
    assert ScoredResult.objects.get(response=response).value == 3
    actions.import_instruments(by="test", files=actions.shipped_instrument_files())
    last_export = timezone.now()
    call_command("instruments", "rescore", "--apply", "--reason", "1.0.0 counted skipped answers as 0")
    return {"response": response, "since": last_export, "month_ago": month_ago}


def export(raw, since):
    url = f"/fhir/r4/$export?_since={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    response = Client().get(url, HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json", **bearer(raw))
    assert response.status_code == 202
    status = Client().get(response["Content-Location"].replace("http://testserver", ""), **bearer(raw))
    manifest = json.loads(status.content)
    out = {}
    for item in manifest["output"]:
        body = Client().get(item["url"].replace("http://testserver", ""), **bearer(raw))
        text = b"".join(body.streaming_content).decode()
        out[item["type"]] = [json.loads(line) for line in text.splitlines()]
    return out


def test_a_correction_leaves_in_the_next_incremental_export_with_the_result_it_replaces(cast, corrected):
    _client, raw = make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))
    grant(cast, cast.patient, categories=CATEGORIES)
    since = corrected["since"].replace(microsecond=0)
    sent = export(raw, since)
    observations = {o["status"]: o for o in sent.get("Observation", [])}
    assert set(observations) == {"amended", "entered-in-error"}
    amended, replaced = observations["amended"], observations["entered-in-error"]
    for resource in (amended, replaced):
        Observation.model_validate(resource)
        # When it changed, not when the person was screened.
        assert datetime.datetime.fromisoformat(resource["meta"]["lastUpdated"]) >= since
        assert resource["effectiveDateTime"][:10] == corrected["month_ago"].date().isoformat()
    assert replaced["valueQuantity"]["value"] == 3  # the old figures, kept as they were
    assert "valueQuantity" not in amended and amended["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    link = {"reference": f"Observation/{replaced['id']}",
            "display": "The result this one corrects (entered in error)"}
    assert link in amended["derivedFrom"]
    assert amended["extension"] == [{"url": REPLACES_URL, "valueReference": link}]
    assert "extension" not in replaced
    # The QuestionnaireResponse changed too (its calculated total is gone): it leaves again.
    [response] = sent["QuestionnaireResponse"]
    QuestionnaireResponse.model_validate(response)
    assert response["id"] == str(corrected["response"].public_id)
    assert "/44261-6" not in json.dumps(response["item"])
    # Nothing changed since: the export after this one sends nothing of it.
    assert export(raw, timezone.now() + datetime.timedelta(seconds=1)) == {}


def test_a_result_never_corrected_names_nothing_and_was_last_updated_when_scored(cast, corrected):
    from safehaven.fhir.common import instant

    new = ScoredResult.objects.get(status="amended")
    other = ScoredResult.objects.create(
        person=cast.patient, response=new.response, code="x", value=1, effective_at=corrected["month_ago"])
    other.refresh_from_db()
    resource = observation_to_fhir(other)
    Observation.model_validate(resource)
    assert resource["meta"]["lastUpdated"] == instant(other.updated_at) != instant(other.effective_at)
    assert resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{new.response.public_id}"}]
    assert "extension" not in resource
