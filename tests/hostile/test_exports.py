"""What is saved comes out inert: PDFs (WeasyPrint) and CSV/XLSX downloads.

PDFs: the HTML handed to WeasyPrint shows hostile text escaped, WeasyPrint is never made to
fetch a URL typed by a user, and the PDF carries no JavaScript action or javascript: link.
Spreadsheets: a cell that starts with = + - @ tab or CR is prefixed so it stays text; in XLSX
the cell is a string, never a formula.
"""

import csv
import datetime
import io

import pytest
import weasyprint
from django.urls import reverse
from django.utils import timezone

from safehaven.consent.models import ConsentGrant
from tests.hostile.corpus import FORMULA, SCRIPT, is_formula
from tests.hostile.helpers import live_markup

pytestmark = pytest.mark.django_db
HOSTILE_URL = "http://hostile.invalid/beacon.png"
NAME = f'<script>alert(1)</script>"><img src="{HOSTILE_URL}" onerror=alert(2)>'
LINK = '<a href="javascript:alert(3)">click</a>'
REAL_HTML = weasyprint.HTML


class PdfSpy:
    """Stand-in for weasyprint.HTML: keeps the HTML and every URL WeasyPrint tries to load."""

    def __init__(self):
        self.html: list[str] = []
        self.fetched: list[str] = []
        self.pdfs: list[bytes] = []

    def __call__(self, *args, string=None, url_fetcher=None, **kwargs):
        spy = self
        self.html.append(string or "")

        def fetch(url, *a, **k):
            spy.fetched.append(url)
            if url_fetcher is not None:
                return url_fetcher(url, *a, **k)
            if url.startswith("data:"):
                return weasyprint.default_url_fetcher(url, *a, **k)
            raise ValueError("the test blocks every network fetch")

        fetch._fail_on_errors = False  # WeasyPrint 70 reads this from the fetcher it is given
        document = REAL_HTML(*args, string=string, url_fetcher=fetch, **kwargs)

        class Document:
            def write_pdf(self, *a, **k):
                pdf = document.write_pdf(*a, uncompressed_pdf=True, **k)
                spy.pdfs.append(pdf)
                return pdf

        return Document()

    def assert_inert(self):
        assert self.html, "no PDF was rendered"
        for html in self.html:
            assert live_markup(html) == [], live_markup(html)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert not [u for u in self.fetched if "hostile.invalid" in u or u.startswith("javascript")], self.fetched
        for pdf in self.pdfs:
            assert b"/JavaScript" not in pdf and b"/JS " not in pdf
            assert b"javascript:" not in pdf.lower()


@pytest.fixture
def pdf_spy(monkeypatch):
    spy = PdfSpy()
    monkeypatch.setattr(weasyprint, "HTML", spy)
    return spy


@pytest.fixture
def hostile_patient(cast):
    from safehaven.people.models import Person

    Person.objects.filter(pk=cast.patient.pk).update(chosen_name=NAME, pronouns="<b>they</b>")
    cast.patient.refresh_from_db()
    return cast.patient


def test_the_visit_summary_pdf_prints_hostile_text_inert(cast, client_for, hostile_patient, pdf_spy):
    from safehaven.people import actions

    encounter = actions.start_encounter(by=cast.alice, person=hostile_patient, setting="clinic",
                                        chief_complaint=NAME + LINK)
    response = client_for(cast.alice).get(reverse("screening:visit_summary", args=[encounter.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf_spy.assert_inert()


def test_the_printed_care_plan_prints_hostile_goals_inert(cast, client_for, hostile_patient, pdf_spy):
    from safehaven.careplans import actions

    plan = actions.start_plan(by=cast.alice, person=hostile_patient)
    actions.add_goal(by=cast.alice, plan=plan, version=plan.version, description=NAME + LINK)
    response = client_for(cast.alice).get(reverse("careplans:print", args=[hostile_patient.public_id]))
    assert response.status_code == 200, response.status_code
    pdf_spy.assert_inert()


def test_consent_printouts_print_hostile_names_and_recipients_inert(cast, client_for, hostile_patient, pdf_spy):
    now = timezone.now()
    grant = ConsentGrant.objects.create(
        person=hostile_patient, provision="permit", recipient_kind="organization",
        recipient_ref="7d6f1f9e-8a4b-4c61-9f25-1d8b7c1e2a01", recipient_label=NAME + LINK,
        recipient_category="health_care", purposes=["treatment"], categories=["clinical_summary"],
        method="written", informed=True, recorded_by=cast.alice, signature_name=NAME,
        starts_at=now - datetime.timedelta(days=1), expires_at=now + datetime.timedelta(days=30),
    )
    client = client_for(cast.alice)
    for url in (reverse("consent:summary_pdf", args=[hostile_patient.public_id]),
                reverse("consent:grant_pdf", args=[grant.public_id]),
                reverse("consent:disclosures_pdf", args=[hostile_patient.public_id])):
        response = client.get(url)
        assert response.status_code == 200, url
    pdf_spy.html = [h for h in pdf_spy.html if "hostile.invalid" in h or "&lt;script" in h]
    pdf_spy.assert_inert()


def test_a_training_certificate_prints_a_hostile_staff_name_inert(cast, client_for, pdf_spy):
    from safehaven.training.actions import load_curriculum
    from safehaven.training.content import read_modules
    from safehaven.training.models import Completion, Module
    from tests.training.conftest import complete

    load_curriculum(by="test", modules=read_modules())
    cast.bob.display_name = NAME
    cast.bob.save(update_fields=["display_name"])
    complete(cast.bob, Module.objects.order_by("order").first())
    completion = Completion.objects.get(user=cast.bob)
    response = client_for(cast.bob).get(reverse("training:certificate", args=[completion.public_id]))
    assert response.status_code == 200
    pdf_spy.assert_inert()


# ------------------------------------------------------------------ spreadsheets


def evaluation_download(cast, client_for, fmt):
    from safehaven.accounts.models import Site

    Site.objects.filter(pk=cast.site_a.pk).update(name=FORMULA[0][1])
    response = client_for(cast.eve).get(reverse("evaluation:dashboard"),
                                        {"format": fmt, "site": str(cast.site_a.public_id)})
    assert response.status_code == 200, response.status_code
    return response


def test_the_evaluation_csv_neutralises_formulas(cast, client_for):
    response = evaluation_download(cast, client_for, "csv")
    text = response.content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert [c for c in cells if is_formula(c)] == []
    assert any(FORMULA[0][1] in c for c in cells)  # the site's name is there, as text


def test_the_evaluation_spreadsheet_holds_text_never_formulas(cast, client_for):
    from openpyxl import load_workbook

    response = evaluation_download(cast, client_for, "xlsx")
    book = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells if is_formula(c.value)] == []
    assert any(FORMULA[0][1] in str(c.value) for c in cells)


def hostile_tables():
    values = [v for _, v in FORMULA]
    return [{"title": values[0], "header": values[:3],
             "rows": [{"label": value, "values": [value, 3, None]} for value in values]}]


def test_evaluation_csv_and_xlsx_writers_neutralise_cells_that_start_a_formula():
    from openpyxl import load_workbook

    from safehaven.evaluation.exports import to_csv, to_xlsx

    text = to_csv(FORMULA[1][1], hostile_tables()).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert [c for c in cells if is_formula(c)] == []
    assert sum(c.startswith("'") for c in cells) >= len(FORMULA)
    book = load_workbook(io.BytesIO(to_xlsx(FORMULA[1][1], hostile_tables())))
    xcells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in xcells if c.data_type == "f"] == []
    assert [c.value for c in xcells if is_formula(c.value)] == []


def test_the_evaluation_pdf_prints_a_hostile_site_name_inert(cast, client_for, pdf_spy):
    from safehaven.accounts.models import Site

    Site.objects.filter(pk=cast.site_a.pk).update(name=NAME)
    response = client_for(cast.eve).get(reverse("evaluation:dashboard"),
                                        {"format": "pdf", "site": str(cast.site_a.public_id)})
    assert response.status_code == 200
    pdf_spy.assert_inert()


@pytest.mark.parametrize("label,value", FORMULA, ids=[label for label, _ in FORMULA])
def test_safe_cell_neutralises_every_formula_prefix(label, value):
    from safehaven.evaluation.exports import safe_cell

    assert not is_formula(safe_cell(value))
    assert safe_cell(value).endswith(value.lstrip("\t\r")) or safe_cell(value) == "'" + value


# The region column is the site's jurisdiction, at most 20 characters.
SHORT_FORMULAS = [(label, value) for label, value in FORMULA if len(value) <= 20]


@pytest.mark.parametrize("label,formula", SHORT_FORMULAS, ids=[label for label, _ in SHORT_FORMULAS])
def test_the_research_extract_csv_neutralises_formulas(cast, client_for, label, formula):
    from safehaven.accounts.models import Site
    from safehaven.testing.factories import make_person

    Site.objects.filter(pk=cast.site_a.pk).update(jurisdiction=formula)
    now = timezone.now()
    for name in ("Ada", "Bea", "Cy"):
        person = make_person(cast.alice, cast.site_a, chosen_name=name, age_band="25-34")
        ConsentGrant.objects.create(
            person=person, provision="permit", recipient_kind="category", recipient_category="research",
            recipient_label="Research", purposes=["research"], categories=["clinical_summary"],
            method="written", informed=True, recorded_by=cast.alice,
            starts_at=now - datetime.timedelta(days=1), expires_at=now + datetime.timedelta(days=30),
        )
    response = client_for(cast.erin).post(reverse("evaluation:research"), {"study": "s1", "k": "2"})
    assert response.status_code == 200, response.content[:500]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) >= 3
    assert [c for row in rows for c in row if is_formula(c)] == []


def test_script_in_every_export_title_is_escaped_on_the_dashboard(cast, client_for):
    from safehaven.accounts.models import Site

    Site.objects.filter(pk=cast.site_a.pk).update(name=SCRIPT[0][1])
    page = client_for(cast.eve).get(reverse("evaluation:dashboard"), {"site": str(cast.site_a.public_id)})
    assert page.status_code == 200
    assert live_markup(page.content.decode()) == []
