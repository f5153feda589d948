"""`safehaven directory import`: every HSDS flavour, reports, and all-or-nothing on bad files."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from safehaven.audit.models import AuditEvent
from safehaven.directory.models import (
    Language,
    OpeningSlot,
    Organization,
    Schedule,
    Service,
    ServiceNeedDomain,
    TaxonomyTerm,
)
from safehaven.testing import HSDS_EXAMPLES  # noqa: E402

pytestmark = pytest.mark.django_db
EXAMPLES = HSDS_EXAMPLES
FIXTURES = Path(__file__).parent / "fixtures"


def run_import(path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("directory", "import", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", [
    "csv", "service_full.json", "organization_full.json", "service_list.json",
    "organization_list.json", "service_at_location_full.json", "service_at_location_list.json",
    "location.json", "taxonomy.json", "taxonomy_list.json", "taxonomy_term.json",
    "taxonomy_term_list.json", "tabular.json",
])
def test_every_shipped_hsds_example_imports_cleanly_and_reimports_as_updates(name):
    first = run_import(EXAMPLES / name)
    assert "imported" in first
    second = run_import(EXAMPLES / name)
    assert " 0 imported" in second or "imported" not in second.replace(" 0 imported", "")
    for line in second.splitlines():
        if "imported," in line:
            assert line.split(":")[1].strip().startswith("0 imported"), line


def test_the_hsds_30_csv_datapackage_brings_the_service_and_its_parts():
    report = run_import(EXAMPLES / "csv")
    assert "Format: hsds-3.0-csv" in report
    service = Service.objects.get(name="Community Counselling")
    assert service.organization.name == "Example Organization Inc."
    assert service.minimum_age == 12 and service.maximum_age == 100
    assert Language.objects.filter(code="ur").exists()
    assert ServiceNeedDomain.objects.filter(service=service, domain="mental_health").exists()
    assert "contacts: contacts of named staff are not kept" in report
    assert "coordinates 100.0, 101.0 are impossible" in report


def test_an_hsds_11_datapackage_imports_with_schedules_taxonomy_and_languages():
    report = run_import(FIXTURES / "hsds11")
    assert "Format: hsds-1.1-csv" in report
    food = Service.objects.get(name="Synthetic Food Bank")
    shelter = Service.objects.get(name="Synthetic Night Shelter")
    assert food.organization.name == "Synthetic Helpers"
    assert food.free_of_charge is True and shelter.free_of_charge is False
    assert set(food.need_domains.values_list("domain", flat=True)) == {"food"}
    assert "housing" in set(shelter.need_domains.values_list("domain", flat=True))
    assert shelter.eligibility_description == "adults"
    assert Language.objects.filter(service=food, code="es").exists()
    assert Schedule.objects.get(service=food).byday == "MO"
    # Friday 21:00 to 07:00 is split across midnight.
    slots = sorted(OpeningSlot.objects.filter(service=shelter).values_list("weekday", "opens_minute", "closes_minute"))
    assert slots == [(4, 21 * 60, 1440), (5, 0, 7 * 60)]
    assert TaxonomyTerm.objects.filter(code="BD-1800.2000").exists()
    assert "holiday_schedules: holiday closures are not kept" in report
    assert "org-missing is unknown and was left empty" in report
    assert AuditEvent.objects.filter(action="directory.import").exists()


def _copy(tmp_path) -> Path:
    target = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "hsds11", target)
    return target


@pytest.mark.parametrize("breakage, message", [
    (("regular_schedules.csv", "id,service_id,location_id,service_at_location_id,weekday,opens_at,closes_at\nrs-1,svc-1,,,Funday,09:00,17:00\n"), "not a day of the week"),
    (("services.csv", "id,organization_id,name,status\nsvc-1,org-1,Food,active,extra\n"), "more values than the header"),
    (("services.csv", "id,organization_id,status\nsvc-1,org-1,active\n"), "lacks the column(s): name"),
    (("regular_schedules.csv", "id,service_id,location_id,service_at_location_id,weekday,opens_at,closes_at\nrs-1,svc-1,,,1,nine,17:00\n"), "must be a time"),
    (("services.csv", b"id,name\n\xff\xfe,bad\n"), "not UTF-8"),
])
def test_a_malformed_11_datapackage_changes_nothing_and_says_why(tmp_path, breakage, message):
    folder = _copy(tmp_path)
    name, content = breakage
    if isinstance(content, bytes):
        (folder / name).write_bytes(content)
    else:
        (folder / name).write_text(content)
    with pytest.raises(CommandError) as err:
        run_import(folder)
    assert message in str(err.value) and "Nothing was imported" in str(err.value)
    assert not Service.objects.exists() and not Organization.objects.exists()


@pytest.mark.parametrize("content, message", [
    ('{"id": "x", "name": ', "The JSON is not valid"),
    ('[1, 2, 3]', "is not an HSDS object"),
    ('{"version": "3.0", "profile": "p"}', "not a recognisable HSDS record"),
    ('{"id": "ac148810-d857-441c-9679-408f346de14b", "name": "X", "status": "sleeping"}', "status must be one of"),
    ('{"id": "ac148810-d857-441c-9679-408f346de14b", "name": "X", "status": "active", "minimum_age": "twelve"}', "must be a number"),
    ('{"id": "ac148810-d857-441c-9679-408f346de14b", "name": "X", "status": "active", "phones": "555"}', "must be a list"),
])
def test_a_malformed_json_file_changes_nothing_and_says_why(tmp_path, content, message):
    run_import(EXAMPLES / "taxonomy.json")
    before = (Service.objects.count(), TaxonomyTerm.objects.count())
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(CommandError) as err:
        run_import(bad)
    assert message in str(err.value)
    assert (Service.objects.count(), TaxonomyTerm.objects.count()) == before


def test_a_bad_record_late_in_a_good_file_rolls_back_the_whole_file(tmp_path):
    data = json.loads((EXAMPLES / "service_full.json").read_text())
    data["schedules"][0]["opens_at"] = "25:99"
    bad = tmp_path / "late.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="opens_at"):
        run_import(bad)
    assert not Service.objects.exists() and not Language.objects.exists()
    data["schedules"][0]["opens_at"] = "10:00:00"
    data["service_at_locations"][0]["location"]["schedules"][0]["opens_at"] = "25:99"
    bad.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="opens_at differs"):
        run_import(bad)
    assert not Service.objects.exists()


def test_a_missing_path_or_a_folder_without_hsds_tables_is_refused(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run_import(tmp_path / "nope.json")
    with pytest.raises(CommandError, match="not an HSDS datapackage"):
        run_import(tmp_path)


def test_hostile_text_is_stored_harmlessly(tmp_path):
    data = {"id": "ac148810-d857-441c-9679-408f346de14b", "status": "active",
            "name": "<script>alert(1)</script>\u202e'; DROP TABLE x;--\x07"}
    f = tmp_path / "h.json"
    f.write_text(json.dumps(data))
    run_import(f)
    assert Service.objects.get().name == "<script>alert(1)</script>\u202e'; DROP TABLE x;--"
