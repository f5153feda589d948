"""The bulk export's fast path writes exactly what the converters write, and valid R4B."""

import datetime
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.encounter import Encounter as FhirEncounter
from fhir.resources.R4B.patient import Patient as FhirPatient

from safehaven.fhir import bulk, fastexport
from safehaven.fhir.common import dumps
from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL
from safehaven.fhir.registry import all_specs
from safehaven.fhir.resources.people import encounter_to_fhir, patient_to_fhir
from safehaven.people.models import Encounter, Person
from safehaven.testing.factories import make_person
from tests.fhir.helpers import grant, make_client

pytestmark = pytest.mark.django_db
HOSTILE = ['Ana "la" <b>Ruiz</b>', "Line\nbreak\ttab", "\u202eRTL mark", "Zoë 李 🙂", "back\\slash", "'; DROP TABLE x; --"]


def varied_people(cast):
    people = []
    for i, name in enumerate(HOSTILE):
        person = make_person(cast.alice, cast.site_a, name)
        person.date_of_birth = datetime.date(1990 + i, 1 + i, 1 + i) if i % 2 else None
        person.preferred_language = ["en", "es", "fr", "de", ""][i % 5]
        person.active = i != 3
        person.save()
        people.append(person)
    start = timezone.now().replace(microsecond=123456) - datetime.timedelta(days=3)
    for i, person in enumerate(people):
        for j, setting in enumerate(s for s, _l in Encounter.SETTINGS):
            Encounter.objects.create(
                person=person, site=person.site, setting=setting, clinician=cast.alice,
                chief_complaint=HOSTILE[(i + j) % len(HOSTILE)] if j % 3 else "",
                started_at=start + datetime.timedelta(hours=j),
                ended_at=(start + datetime.timedelta(hours=j, minutes=30)) if j % 2 else None,
                status=["in-progress", "finished", "planned"][j % 3],
            )
    return people


def test_fast_patient_lines_equal_the_converter(cast):
    varied_people(cast)
    lines = list(fastexport.patient_lines(Person.objects.order_by()))
    assert len(lines) == Person.objects.count()
    for pk, line in lines:
        person = Person.objects.get(pk=pk)
        assert "\n" not in line
        assert json.loads(line) == json.loads(dumps(patient_to_fhir(person)))
        FhirPatient.model_validate_json(line)


def test_fast_encounter_lines_equal_the_converter(cast):
    varied_people(cast)
    lines = list(fastexport.encounter_lines(Encounter.objects.order_by()))
    assert len(lines) == Encounter.objects.count() > 20
    for pk, line in lines:
        encounter = Encounter.objects.select_related("person").get(public_id=json.loads(line)["id"])
        assert pk == encounter.person_id and "\n" not in line
        assert json.loads(line) == json.loads(dumps(encounter_to_fhir(encounter)))
        FhirEncounter.model_validate_json(line)


def test_types_with_their_own_categories_or_no_writer_take_the_ordinary_path():
    specs = all_specs()
    assert fastexport.writer_for(specs["Patient"]) is fastexport.patient_lines
    assert fastexport.writer_for(specs["Goal"]) is None


def export_files(cast, monkeypatch, *, fast: bool):
    from safehaven.fhir import actions

    if not fast:
        monkeypatch.setattr(fastexport, "LINES", {})
    client, _raw = make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))
    job = actions.start_export(by=cast.erin, client=client, level="system", types=["Patient", "Encounter"])
    stats = bulk.write_export(job)
    folder = actions.export_dir(job)
    out = {name: sorted((folder / f"{name}.ndjson").read_text().splitlines()) for name in ("Patient", "Encounter")}
    return stats, out


def test_the_export_is_the_same_with_and_without_the_fast_path(cast, monkeypatch):
    people = varied_people(cast)
    for person in people[:4]:
        grant(cast, person)
    grant(cast, people[4], categories=("identity_contact",))  # no clinical summary: no encounters
    make_person(cast.dan, cast.site_b, "Elsewhere")
    fast_stats, fast = export_files(cast, monkeypatch, fast=True)
    slow_stats, slow = export_files(cast, monkeypatch, fast=False)
    assert fast_stats.counts == slow_stats.counts == {"Patient": 5, "Encounter": 4 * len(Encounter.SETTINGS)}
    for name in fast:
        assert [json.loads(line) for line in fast[name]] == [json.loads(line) for line in slow[name]]


def test_consent_decisions_read_from_stored_text_equal_the_typed_ones(cast, monkeypatch):
    from django.db import connection

    from safehaven.consent.models import ConsentGrant
    from safehaven.fhir import access

    client, _raw = make_client(cast, acts_as=cast.erin, scopes=(SCOPE_READ_ALL, SCOPE_EXPORT))
    people = [make_person(cast.alice, cast.site_a, f"C{i}") for i in range(6)]
    grant(cast, people[0])
    grant(cast, people[1])  # same terms as people[0]: decided once, its own consent id
    grant(cast, people[2], categories=("identity_contact",))
    grant(cast, people[3], categories=("clinical_summary", "mental_health"))
    grant(cast, people[3], categories=("mental_health",), provision="deny")
    grant(cast, people[4], purpose="research")
    revoked = grant(cast, people[5])
    revoked.revoked_at = timezone.now() - datetime.timedelta(minutes=1)
    revoked.save()
    requester = access.Requester(user=cast.erin, client=client)
    raw = access.consent_map(requester, ConsentGrant.objects.all())
    monkeypatch.setattr(connection, "vendor", "typed")
    typed = access.consent_map(requester, ConsentGrant.objects.all())
    assert raw == typed
    assert raw[people[0].pk][1] != raw[people[1].pk][1]  # each person's own consent ids
    assert "mental_health" not in raw[people[3].pk][0] and "clinical_summary" in raw[people[3].pk][0]
    assert people[4].pk not in raw or not raw[people[4].pk][0]
    assert people[5].pk not in raw
