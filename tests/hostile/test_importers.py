"""Importers refuse broken files with a sentence, a non-zero exit and no change at all.

Covers `safehaven instruments import`, `safehaven directory import` (HSDS JSON and CSV
datapackages), `safehaven referrals import-task` and the consent FHIR import page.
"""

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from safehaven.testing import HSDS_EXAMPLES
from tests.hostile.corpus import BROKEN_JSON, FORMULA, latin1, truncated, utf16
from tests.hostile.helpers import changed, row_counts

pytestmark = pytest.mark.django_db
INSTRUMENTS = Path(__file__).resolve().parents[2] / "safehaven" / "screening" / "instruments"
HSDS = HSDS_EXAMPLES


def broken_json_for(app_bug=None):
    """Return BROKEN_JSON as pytest params (deeply nested JSON included)."""
    return [pytest.param(raw, id=label) for label, raw in BROKEN_JSON]


def refuse(command: list[str]) -> str:
    """Run a command that must refuse; return its message after checking nothing changed."""
    before = row_counts()
    with pytest.raises(CommandError) as refused:
        call_command(*command, stdout=StringIO(), stderr=StringIO())
    message = str(refused.value)
    assert message.strip(), "the refusal must say why"
    assert "Traceback" not in message
    assert changed(before, row_counts()) == {}
    return message


def a_questionnaire() -> dict:
    return json.loads(sorted(INSTRUMENTS.glob("*.json"))[0].read_text(encoding="utf-8"))


def write(tmp_path, name: str, raw: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


# ------------------------------------------------------------------ instruments


@pytest.mark.parametrize("label,raw", BROKEN_JSON, ids=[label for label, _ in BROKEN_JSON])
def test_instruments_import_refuses_a_broken_file_and_changes_nothing(tmp_path, label, raw):
    refuse(["instruments", "import", str(write(tmp_path, f"{label}.json", raw))])


def test_instruments_import_refuses_wrong_encodings_and_truncated_files(tmp_path):
    data = a_questionnaire()
    data["title"] = "\u00c9valuation caf\u00e9"
    text = json.dumps(data, ensure_ascii=False)
    for name, raw in [
        ("latin1.json", latin1(text)),
        ("utf16.json", utf16(text)),
        ("truncated.json", truncated(a_questionnaire())),
    ]:
        message = refuse(["instruments", "import", str(write(tmp_path, name, raw))])
        assert name in message


def test_instruments_import_refuses_an_oversized_file_without_reading_it_all(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as out:
        out.write(b'{"resourceType": "Questionnaire", "title": "')
        out.seek(25 * 1024 * 1024)
        out.write(b'"}')
    message = refuse(["instruments", "import", str(big)])
    assert "MB" in message


def test_instruments_import_keeps_hostile_titles_as_text(tmp_path, cast, client_for):
    data = a_questionnaire()
    data["title"] = "<script>alert(1)</script> =HYPERLINK(\"x\")"
    data["url"] = "http://example.invalid/Questionnaire/hostile"
    call_command("instruments", "import", str(write(tmp_path, "q.json", json.dumps(data).encode())),
                 stdout=StringIO())
    page = client_for(cast.erin).get(reverse("screening:instruments"))
    assert page.status_code == 200
    assert b"<script>alert(1)" not in page.content
    assert b"&lt;script&gt;alert(1)" in page.content


def test_the_instrument_upload_page_refuses_broken_files_with_a_message(cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(cast.erin)
    for label, raw in BROKEN_JSON + [("utf16", utf16(json.dumps(a_questionnaire())))]:
        before = row_counts()
        response = client.post(reverse("screening:instruments"),
                               {"files": SimpleUploadedFile(f"{label}.json", raw, "application/json")})
        assert response.status_code == 400, label
        assert response.context["problems"] or response.context["form"].errors, label
        assert changed(before, row_counts()) == {}, label


# ------------------------------------------------------------------ directory (HSDS)


@pytest.mark.parametrize("raw", broken_json_for())
def test_directory_import_refuses_broken_json_and_changes_nothing(tmp_path, raw):
    message = refuse(["directory", "import", str(write(tmp_path, "broken.json", raw))])
    assert "Nothing was imported" in message


def test_directory_import_refuses_wrong_encodings_and_truncated_files(tmp_path):
    document = json.loads((HSDS / "service_full.json").read_text(encoding="utf-8"))
    text = json.dumps(document, ensure_ascii=False) + ' '
    cases = [("utf16.json", utf16(text)), ("truncated.json", truncated(document)),
             ("latin1.json", json.dumps({"name": "Caf\u00e9", "description": "x"}, ensure_ascii=False).encode("latin-1"))]
    for name, raw in cases:
        refuse(["directory", "import", str(write(tmp_path, name, raw))])


def copy_datapackage(tmp_path) -> Path:
    folder = tmp_path / "package"
    shutil.copytree(HSDS / "csv", folder)
    return folder


def test_directory_import_refuses_a_latin1_csv_datapackage(tmp_path):
    folder = copy_datapackage(tmp_path)
    services = folder / "services.csv"
    services.write_bytes(services.read_text(encoding="utf-8").replace("Counselling", "Counsell\u00efng").encode("latin-1"))
    message = refuse(["directory", "import", str(folder)])
    assert "services.csv" in message


def test_directory_import_refuses_a_truncated_csv_datapackage(tmp_path):
    folder = copy_datapackage(tmp_path)
    (folder / "datapackage.json").write_bytes((folder / "datapackage.json").read_bytes()[:40])
    services = folder / "services.csv"
    raw = services.read_bytes()
    services.write_bytes(raw[: len(raw) // 3] + b'"unterminated')
    refuse(["directory", "import", str(folder)])


def test_directory_import_keeps_formula_cells_as_text_and_exports_them_inert(tmp_path, cast, client_for):
    import csv

    folder = copy_datapackage(tmp_path)
    services = folder / "services.csv"
    with services.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0].keys())
    formula = FORMULA[0][1]
    rows[0]["name"] = formula
    rows[0]["description"] = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    with services.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    call_command("directory", "import", str(folder), stdout=StringIO())
    from safehaven.directory.models import Service

    service = Service.objects.get(name=formula)  # stored as typed, never evaluated
    page = client_for(cast.alice).get(reverse("directory:service", args=[service.public_id]))
    assert page.status_code == 200
    assert b"<script>alert(1)" not in page.content and b"<img src=x" not in page.content
    api = client_for(cast.alice).get("/hsds/services/" + str(service.public_id))
    if api.status_code == 200:
        assert api.json()["name"] == formula


def test_directory_import_refuses_an_oversized_file(tmp_path, settings):
    from safehaven.directory import hsds_import

    big = tmp_path / "big.json"
    with big.open("wb") as out:
        out.write(b"[")
        out.seek(hsds_import.MAX_FILE_BYTES + 10)
        out.write(b"]")
    message = refuse(["directory", "import", str(big)])
    assert "MB" in message


# ------------------------------------------------------------------ referrals (FHIR Task)


@pytest.mark.parametrize("label,raw", BROKEN_JSON, ids=[label for label, _ in BROKEN_JSON])
def test_referral_task_import_refuses_broken_json_and_changes_nothing(tmp_path, label, raw):
    refuse(["referrals", "import-task", str(write(tmp_path, f"{label}.json", raw))])


def test_referral_task_import_refuses_wrong_encodings_truncation_and_size(tmp_path):
    task = {"resourceType": "Task", "status": "accepted", "intent": "order",
            "identifier": [{"system": "urn:x", "value": "caf\u00e9"}]}
    for name, raw in [("latin1.json", json.dumps(task, ensure_ascii=False).encode("latin-1")),
                      ("utf16.json", utf16(json.dumps(task))), ("truncated.json", truncated(task))]:
        refuse(["referrals", "import-task", str(write(tmp_path, name, raw))])
    big = tmp_path / "big.json"
    with big.open("wb") as out:
        out.seek(11 * 1024 * 1024)
        out.write(b"}")
    assert "10 MB" in refuse(["referrals", "import-task", str(big)])


def test_referral_task_import_refuses_hostile_task_fields(tmp_path):
    for task in [
        {"resourceType": "Task", "id": "<script>alert(1)</script>", "status": "completed", "intent": "order"},
        {"resourceType": "Task", "status": "' OR 1=1 --", "intent": "order", "basedOn": [{"reference": "ServiceRequest/%"}]},
        {"resourceType": "Bundle", "entry": "=HYPERLINK(1)"},
        {"resourceType": "Bundle", "entry": [{"resource": None}, 7]},
    ]:
        refuse(["referrals", "import-task", str(write(tmp_path, "task.json", json.dumps(task).encode()))])


# ------------------------------------------------------------------ consent (FHIR import page)


def post_consent_import(client, person, body):
    url = reverse("consent:fhir_import", args=[person.public_id])
    before = row_counts()
    response = client.post(url, {"resource": body, "holds_original": "on"})
    assert response.status_code == 400, body[:40]
    assert response.context["import_errors"], body[:40]
    assert b"<script>alert(1)" not in response.content
    assert changed(before, row_counts()) == {}, body[:40]


def test_the_consent_import_page_refuses_deeply_nested_json(cast, client_for):
    post_consent_import(client_for(cast.alice), cast.patient, "[" * 50_000 + "]" * 50_000)


def test_the_consent_import_page_refuses_broken_json_with_a_message(cast, client_for):
    client = client_for(cast.alice)
    bodies = [raw.decode("utf-8", "replace").replace("\x00", "") for _, raw in BROKEN_JSON if len(raw) < 10_000]
    bodies += ['{"resourceType": "Consent", "status": "<script>alert(1)</script>"}',
               '{"resourceType": "Bundle", "entry": [{"resource": "' + "A" * 1000 + '"}]}',
               "Ro\x00sa", "\ufeff{}"]
    for body in bodies:
        post_consent_import(client, cast.patient, body)


# ------------------------------------------------------------------ byte-order marks


def test_a_utf8_byte_order_mark_is_either_accepted_or_named(tmp_path):
    data = a_questionnaire()
    data["url"] = "http://example.invalid/Questionnaire/bom"
    path = write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(data).encode())
    try:
        call_command("instruments", "import", str(path), stdout=StringIO())
    except CommandError as refused:
        assert "BOM" in str(refused) and "bom.json" in str(refused)
    document = (HSDS / "service_full.json").read_bytes()
    report = StringIO()
    call_command("directory", "import", str(write(tmp_path, "service.json", b"\xef\xbb\xbf" + document)), stdout=report)
    assert "imported" in report.getvalue()
