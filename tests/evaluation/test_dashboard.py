"""The evaluation dashboard: aggregates only, suppression that filters cannot defeat, downloads."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from safehaven.accounts.models import Membership, Role
from safehaven.audit.models import AuditEvent
from safehaven.evaluation import exports
from safehaven.evaluation.measures import ALL, PERIODS, build_cube
from safehaven.people.models import Encounter, Person

pytestmark = pytest.mark.django_db
URL = reverse("evaluation:dashboard")
YEAR = timezone.localdate().year - 1


def at(month, day=10):
    return timezone.make_aware(datetime.datetime(YEAR, month, day, 10))


def people_seen(cast, site, n, month, *, by=None, name="P", earlier=False):
    """Create n people at a site, each seen once in the month (and once the year before if earlier)."""
    by = by or (cast.alice if site == cast.site_a else cast.dan)
    created = []
    for i in range(n):
        person = Person.objects.create(site=site, chosen_name=f"{name}{i}", chosen_name_folded=f"{name.lower()}{i}")
        created.append(person)
        visits = [at(month)] + ([at(month).replace(year=YEAR - 1)] if earlier else [])
        Encounter.objects.bulk_create([
            Encounter(person=person, site=site, setting="community_clinic", chief_complaint="x", clinician=by,
                      started_at=when, status="finished") for when in visits
        ])
    return created


def evaluator_everywhere(cast):
    Membership.objects.create(user=cast.eve, site=cast.site_b, role=Role.objects.get(code="evaluator"))
    cast.eve.__dict__.pop("_site_perm_cache", None)


def test_it_requires_login(cast, client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_roles_without_aggregate_access_get_403(cast, client_for):
    for user in (cast.alice, cast.fay, cast.tom):
        assert client_for(user).get(URL).status_code == 403


def test_the_evaluator_sees_tables_and_an_accessible_chart(cast, client_for):
    people_seen(cast, cast.site_a, 14, 2)
    page = client_for(cast.eve).get(URL, {"year": YEAR}).content.decode()
    assert "<svg" in page and "<title id=" in page and "<desc id=" in page
    assert "People seen" in page
    assert re.search(r"<td>14</td>", page)
    assert "Rosa" not in page  # aggregates only: never a name
    assert AuditEvent.objects.filter(action="evaluation.view", actor_label="eve").exists()


def test_a_site_the_evaluator_does_not_cover_is_404(cast, client_for):
    assert client_for(cast.eve).get(URL, {"site": str(cast.site_b.public_id)}).status_code == 404


def test_bad_filters_get_a_clear_message_and_400(cast, client_for):
    client = client_for(cast.eve)
    for params in ({"year": "1066"}, {"year": "<script>"}, {"quarter": "Q9"}, {"format": "docx"}):
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert "errorlist" in response.content.decode()
        assert "<script>" not in response.content.decode()


def test_small_cells_are_hidden(cast, client_for):
    people_seen(cast, cast.site_a, 4, 3)
    page = client_for(cast.eve).get(URL, {"year": YEAR}).content.decode()
    assert not re.search(r"<td>4</td>", page)
    assert "hidden" in page


def test_narrowing_filters_cannot_reveal_a_suppressed_site_by_differencing(cast, client_for):
    evaluator_everywhere(cast)
    people_seen(cast, cast.site_a, 15, 2, name="A")
    people_seen(cast, cast.site_b, 4, 2, name="B")
    client = client_for(cast.eve)
    shown = {}
    for site in ("", str(cast.site_a.public_id), str(cast.site_b.public_id)):
        for quarter in ("", "Q1", "Q2"):
            page = client.get(URL, {"year": YEAR, "site": site, "quarter": quarter}).content.decode()
            cells = re.findall(r"<th scope=\"row\">People seen</th>(.*?)</tr>", page)[0]
            shown[(site, quarter)] = re.findall(r"<td>(.*?)</td>", cells)
    everything = shown[("", "")]
    site_a = shown[(str(cast.site_a.public_id), "")]
    site_b = shown[(str(cast.site_b.public_id), "")]
    q1_all = shown[("", "Q1")][0]
    q1_a = shown[(str(cast.site_a.public_id), "Q1")][0]
    assert "4" not in site_b
    # Whatever combination of filters is used, total minus site A never gives site B:
    pairs = [(everything[0], site_a[0]), (everything[4], site_a[4]), (q1_all, q1_a)]
    for total, part in pairs:
        assert not (total.isdigit() and part.isdigit() and int(total) - int(part) == 4)


def test_the_cube_is_the_same_whatever_slice_is_shown(cast):
    evaluator_everywhere(cast)
    people_seen(cast, cast.site_a, 30, 1, name="A")
    people_seen(cast, cast.site_a, 3, 5, name="C", earlier=True)
    people_seen(cast, cast.site_b, 12, 1, name="B")
    cube = build_cube(YEAR, [cast.site_a, cast.site_b])
    for (row, site, period), value in cube.values.items():
        if 0 < value < 11 and not row.startswith("lost"):
            assert cube.shown(row, site, period) is None
    # Q2 of site A: 3 returning people are hidden, and so is what would reveal them.
    assert cube.shown("returning", cast.site_a.pk, "Q2") is None
    assert cube.shown("served", cast.site_a.pk, "Q2") is None or cube.shown("new", cast.site_a.pk, "Q2") is None
    assert {p for p in PERIODS} == {"Q1", "Q2", "Q3", "Q4", "Y"}
    assert cube.values[("served", ALL, "Q1")] == 42
    assert cube.shown("served", ALL, "Y") in (None, 45)


def test_retention_is_counted_and_small_complements_are_protected(cast):
    people = people_seen(cast, cast.site_a, 20, 1, name="R")
    for person in people[:17]:
        Encounter.objects.create(person=person, site=cast.site_a, setting="community_clinic", chief_complaint="x",
                                 clinician=cast.alice, started_at=at(9), status="finished")
    cube = build_cube(YEAR, [cast.site_a])
    assert cube.values[("eligible_2", cast.site_a.pk, "Q1")] == 20
    assert cube.values[("retained_2", cast.site_a.pk, "Q1")] == 17
    # 3 were not retained: showing both 20 and 17 would reveal that.
    assert cube.shown("eligible_2", cast.site_a.pk, "Q1") is None or cube.shown("retained_2", cast.site_a.pk, "Q1") is None


def test_the_page_runs_a_fixed_number_of_queries(cast, client_for):
    client = client_for(cast.eve)
    people_seen(cast, cast.site_a, 3, 2, name="S")
    client.get(URL, {"year": YEAR})

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"year": YEAR}).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    people_seen(cast, cast.site_a, 25, 4, name="T", earlier=True)
    assert count() == small


def test_csv_and_xlsx_downloads_neutralise_formulas(cast, client_for):
    people_seen(cast, cast.site_a, 12, 2)
    cast.site_a.name = "=HYPERLINK(\"http://evil\")"
    cast.site_a.save()
    client = client_for(cast.eve)
    params = {"year": YEAR, "site": str(cast.site_a.public_id)}
    csv_response = client.get(URL, {**params, "format": "csv"})
    assert csv_response.status_code == 200 and "attachment" in csv_response["Content-Disposition"]
    text = csv_response.content.decode("utf-8-sig")
    assert "12" in text
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.strip('"').startswith(("=", "+", "@"))
    xlsx = client.get(URL, {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    for row in sheet.iter_rows(values_only=True):
        for value in row:
            assert not (isinstance(value, str) and value.startswith(("=", "+", "-", "@")))
    assert exports.safe_cell("=1+1") == "'=1+1" and exports.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports.safe_cell(7) == 7
    assert AuditEvent.objects.filter(action="evaluation.export").count() == 2


def test_the_funder_report_is_a_pdf(cast, client_for):
    people_seen(cast, cast.site_a, 12, 2)
    response = client_for(cast.eve).get(URL, {"year": YEAR, "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_measures_of_other_capabilities_are_listed_as_waiting_until_they_register(cast, client_for):
    from safehaven.evaluation import providers

    page = client_for(cast.eve).get(URL, {"year": YEAR}).content.decode()
    waiting = [key for key, _t, _s in providers.EXPECTED if key not in providers.PROVIDERS]
    if waiting:
        assert "Not available yet" in page


def test_a_registered_provider_joins_the_protected_cube(cast):
    from safehaven.evaluation import providers

    people = people_seen(cast, cast.site_a, 15, 2, name="S")

    def events(*, site_ids, start, end):
        for i, person in enumerate(people):
            yield ("offered", person.pk, person.site_id, at(2))
            yield ("completed" if i < 12 else "declined", person.pk, person.site_id, at(2))

    provider = providers.Provider(key="test_screens", title="Screens", rows=[
        ("offered", "Offered"), ("completed", "Completed"), ("declined", "Declined")],
        groups=[(["completed", "declined"], "offered")], events=events)
    providers.register_provider(provider)
    try:
        cube = build_cube(YEAR, [cast.site_a])
    finally:
        providers.PROVIDERS.pop("test_screens")
    assert cube.shown("test_screens.declined", cast.site_a.pk, "Q1") is None
    assert cube.shown("test_screens.offered", cast.site_a.pk, "Q1") is None or cube.shown("test_screens.completed", cast.site_a.pk, "Q1") is None
