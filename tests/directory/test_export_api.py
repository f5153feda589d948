"""HSDS 3.0 export and the /hsds/ API: schema-valid, and never a confidential address."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from safehaven.directory.hsds_export import validation_errors
from safehaven.testing import HSDS_EXAMPLES
from tests.directory.helpers import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    shelter = make_service("Quiet Shelter", confidential=True, lat=37.81, lon=-122.26,
                           hours=("MO,TU", "00:00", "00:00"), serves_survivors=True)
    pantry = make_service("Open Pantry", hours=("SA", "09:00", "12:00"), free_of_charge=True)
    return shelter, pantry


def export(tmp_path) -> tuple[str, dict]:
    out = tmp_path / "hsds.json"
    call_command("directory", "export", "--format", "hsds-3.0", str(out), stdout=StringIO())
    text = out.read_text()
    return text, json.loads(text)


def test_the_export_validates_against_the_hsds_30_schema(directory, tmp_path):
    call_command("directory", "import", str(HSDS_EXAMPLES / "csv"), stdout=StringIO())
    _, doc = export(tmp_path)
    assert doc["total_items"] == 3
    assert validation_errors(doc) == []


def test_the_validator_does_catch_a_broken_record(directory, tmp_path):
    _, doc = export(tmp_path)
    doc["contents"][0]["status"] = "sleeping"
    del doc["contents"][1]["name"]
    assert len(validation_errors(doc)) == 2


def test_the_export_never_holds_a_confidential_address_or_its_coordinates(directory, tmp_path):
    text, doc = export(tmp_path)
    assert "Secret Lane" not in text and "37.81" not in text and "Quiet Shelter site" not in text
    shelter = next(s for s in doc["contents"] if s["name"] == "Quiet Shelter")
    assert shelter["service_at_locations"] == []
    assert "1 Open Street" in text


def test_flags_survive_an_export_and_reimport(directory, tmp_path):
    from safehaven.directory.models import Service

    _, doc = export(tmp_path)
    Service.objects.filter(name="Quiet Shelter").update(serves_survivors=False)
    path = tmp_path / "hsds.json"
    call_command("directory", "import", str(path), stdout=StringIO())
    assert Service.objects.get(name="Quiet Shelter").serves_survivors is True
    assert Service.objects.get(name="Open Pantry").free_of_charge is True


HSDS_URLS = ["/hsds/services", "/hsds/services?full=true", "/hsds/service_at_locations",
             "/hsds/organizations", "/hsds/taxonomies", "/hsds/taxonomy_terms", "/hsds/"]


def test_the_hsds_api_requires_sign_in(directory):
    for url in HSDS_URLS:
        assert Client().get(url).status_code == 401, url


def test_no_hsds_api_answer_holds_a_confidential_address(cast, client_for, directory):
    shelter, _ = directory
    client = client_for(cast.ana)  # an advocate, who may see it on the staff pages
    pages = [client.get(u) for u in HSDS_URLS]
    pages.append(client.get(f"/hsds/services/{shelter.public_id}"))
    pages.append(client.get(f"/hsds/organizations/{shelter.organization.public_id}"))
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert "Secret Lane" not in body and "37.81" not in body
    sal_ids = [s["id"] for s in client.get("/hsds/service_at_locations").json()["contents"]]
    hidden = shelter.service_at_locations.get().public_id
    assert str(hidden) not in sal_ids
    assert client.get(f"/hsds/service_at_locations/{hidden}").status_code == 404


def test_hsds_lists_page_as_the_spec_says(cast, client_for, directory):
    client = client_for(cast.alice)
    page = client.get("/hsds/services", {"per_page": 1, "page": 2}).json()
    assert page["total_items"] == 2 and page["total_pages"] == 2 and page["page_number"] == 2
    assert page["size"] == 1 and page["last_page"] is True and page["first_page"] is False
    assert validation_errors(page) == []


def test_hsds_api_bad_input_gets_a_clear_400_and_unknown_ids_404(cast, client_for, directory):
    client = client_for(cast.alice)
    assert "per_page" in client.get("/hsds/services", {"per_page": "lots"}).json()["detail"]
    assert client.get("/hsds/services", {"page": 0}).status_code == 400
    assert client.get("/hsds/services", {"organization_id": "<script>"}).status_code == 400
    assert client.get("/hsds/services/not-a-uuid").status_code == 404
    assert client.get("/hsds/services/6f0c7f62-3c1e-4c55-9a43-6b1f4b0f5e21").status_code == 404


def test_the_hsds_paths_are_in_our_openapi(cast, client_for):
    from safehaven.api.openapi import build_openapi

    paths = build_openapi()["paths"]
    for p in ("/hsds/services", "/hsds/services/{id}", "/hsds/organizations", "/hsds/service_at_locations",
              "/hsds/taxonomies", "/hsds/taxonomy_terms"):
        assert p in paths


def test_modified_after_takes_any_valid_offset_and_year(cast, client_for):
    client = client_for(cast.alice)
    for value in ["0864-01-20T09:02:49+19:47", "2024-01-01T00:00:00+15:00", "0001-01-01T00:00:00+05:00",
                  "2024-01-01T00:00:00+02:00"]:
        assert client.get("/hsds/services", {"modified_after": value}).status_code == 200, value
    assert client.get("/hsds/services", {"modified_after": "yesterday"}).status_code == 400
