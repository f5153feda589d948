"""Every search box and query parameter takes hostile input without a 500 or an SQL error,
and metacharacters are matched literally (searching % does not match everyone)."""

import pytest
from django.test import Client
from django.urls import reverse

from safehaven.testing.factories import login, make_person
from tests.hostile.corpus import BAD_DATES, BAD_DATETIMES, PAGES, QUERY, SCRIPT

pytestmark = pytest.mark.django_db
BAD = QUERY + PAGES
NUMERIC = {"page", "per_page", "_count", "_page", "age", "lat", "within_km", "days", "year", "all", "minimal"}


DATES = {"date", "_lastUpdated", "modified_after", "_since"}


def bad_values(name: str) -> list[str]:
    """Numbers get the number attacks, dates impossible dates, each plus a little text;
    text gets the whole text corpus."""
    if name in NUMERIC:
        return PAGES + QUERY[:3]
    if name in DATES:
        return [v for _, v in BAD_DATES + BAD_DATETIMES] + ["ge2021-02-30", "lt0000-01-01"] + QUERY[:3]
    return BAD


def server_errors(client: Client, url: str, params: dict[str, list[str]]) -> list[str]:
    """Return each "param=value" that made the server fail (5xx), trying one value at a time."""
    client.raise_request_exception = False
    failures = []
    for name, values in params.items():
        for value in values:
            response = client.get(url, {name: value})
            if response.status_code >= 500:
                failures.append(f"{url}?{name}={value[:30]!r} -> {response.status_code}")
            if response.get("Content-Type", "").startswith("text/html"):
                assert b"<script>alert(" not in response.content, (url, name, value)
    return failures


ENDPOINTS = [
    # (persona, url name or path, parameters that each receive every bad value)
    ("alice", "/people/", ["q", "page"]),
    ("alice", "/api/v1/people", ["q", "page"]),
    ("alice", "/directory/", ["q", "page", "lat", "language"]),
    ("alice", "/hsds/services", ["search", "page", "per_page", "taxonomy_term_id", "modified_after",
                                 "organization_id", "minimal"]),
    ("alice", "/hsds/organizations", ["search", "page"]),
    ("alice", "/hsds/service_at_locations", ["postcode", "search", "page"]),
    ("alice", "/hsds/taxonomy_terms", ["taxonomy_id", "parent_id", "page"]),
    ("alice", "/referrals/", ["q", "page"]),
    ("alice", "/follow-up/", ["page", "show"]),
    ("alice", "/follow-up/day/", ["date"]),
    ("alice", "/care/caseload/", ["all", "page"]),
    ("alice", "/consent/expiring/", ["days"]),
    ("alice", "/fhir/r4/Patient", ["_id", "_count", "_page", "_lastUpdated", "_format"]),
    ("alice", "/fhir/r4/Encounter", ["patient", "date", "status", "_count"]),
    ("alice", "/fhir/r4/Condition", ["code", "status", "patient"]),
    ("alice", "/fhir/r4/$export", ["_since", "_type", "_outputFormat"]),
    ("eve", "/evaluation/", ["year", "quarter", "site", "format"]),
    ("erin", "/audit/", ["action"]),
    ("erin", "/follow-up/templates/", ["kind", "language"]),
    ("erin", "/training/staff/", ["site"]),
]


@pytest.mark.parametrize("persona,url,names", ENDPOINTS, ids=[url for _, url, _ in ENDPOINTS])
def test_no_search_or_parameter_makes_the_server_fail(cast, persona, url, names):
    # A NUL in any query value is refused with a 400 by RefuseNullCharactersMiddleware
    # (PostgreSQL cannot store one), so no search can fail on it.
    client = login(Client(), getattr(cast, persona))
    failures = server_errors(client, url, {name: bad_values(name) for name in names})
    assert failures == []


def test_person_pages_take_hostile_parameters(cast, client_for):
    client = client_for(cast.alice)
    pid = cast.patient.public_id
    failures = server_errors(client, f"/people/{pid}/", {"show": BAD})
    failures += server_errors(client, reverse("referrals:new", args=[pid]), {"q": BAD, "need_domain": BAD})
    failures += server_errors(client, f"/follow-up/person/{pid}/reminder/", {"channel": QUERY, "kind": QUERY})
    failures += server_errors(client, f"/consent/people/{pid}/summary.pdf", {"lang": ["\x00' OR 1=1"]})
    failures += server_errors(client, "/access/break-glass/", {"record": BAD})
    assert failures == []


def test_hostile_ids_in_urls_give_404_not_500(cast, client_for):
    client = client_for(cast.alice)
    client.raise_request_exception = False
    for value in ["' OR 1=1 --", "%25", "..%2F..%2Fetc", "0", "-1", "A" * 300, "%00", "<script>"]:
        for template in ["/people/{}/", "/referrals/{}/", "/care/people/{}/plan/", "/consent/people/{}/",
                         "/screening/sessions/{}/", "/directory/services/{}/", "/api/v1/people/{}",
                         "/fhir/r4/Patient/{}", "/hsds/services/{}"]:
            response = client.get(template.format(value))
            assert response.status_code in (400, 404), (template, value, response.status_code)


# ------------------------------------------------------------------ literal matching


@pytest.fixture
def named_people(cast):
    """People whose names hold metacharacters, on alice's care team."""
    names = ["Rosa 100%", "Ana_Maria", "O'Brien", "Back\\slash", "Semi;colon"]
    return [make_person(cast.alice, cast.site_a, chosen_name=name) for name in names]


def names_found(client, url, q, key=None):
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    if key:
        return {row["chosen_name"] for row in response.json()[key]}
    return {p.chosen_name for p in response.context["people"]}


@pytest.mark.parametrize("url,key", [("/people/", None), ("/api/v1/people", "results")])
def test_metacharacters_are_matched_literally_in_the_worklist(cast, client_for, named_people, url, key):
    client = client_for(cast.alice)
    everyone = names_found(client, url, "", key)
    assert len(everyone) >= 6
    for meta in ["%", "_", "\\", "' OR 1=1 --", ";", "'", "%%", "_%_"]:
        assert names_found(client, url, meta, key) != everyone or everyone == set(), meta
    assert names_found(client, url, "o'brien", key) == {"O'Brien"}
    assert names_found(client, url, "1=1", key) == set()
    assert names_found(client, url, "100", key) == {"Rosa 100%"}


def test_metacharacters_are_matched_literally_in_the_directory(cast, client_for):
    from safehaven.directory.models import Organization, Service

    org = Organization.objects.create(name="Synthetic helpers")
    for name in ["Food 100% free", "Night_shelter", "Legal aid"]:
        Service.objects.create(organization=org, name=name, name_folded=name.casefold(), status="active")
    client = client_for(cast.alice)

    def found(q):
        response = client.get("/directory/", {"q": q})
        assert response.status_code == 200, q
        return {r.service.name if hasattr(r, "service") else r.name for r in response.context.get("results") or []}

    everything = found("")
    for meta in ["%", "_", "\\", "' OR 1=1 --"]:
        hits = found(meta)
        assert hits != everything or not everything, meta
    assert found("100%") <= {"Food 100% free"}
    hsds = client.get("/hsds/services", {"search": "%"})
    assert hsds.status_code == 200
    assert {s["name"] for s in hsds.json()["contents"]} <= {"Food 100% free"}


def test_search_terms_are_echoed_escaped(cast, client_for):
    client = client_for(cast.alice)
    for _label, value in SCRIPT:
        for url, name in [("/people/", "q"), ("/directory/", "q"),
                          (reverse("referrals:new", args=[cast.patient.public_id]), "q")]:
            response = client.get(url, {name: value})
            assert response.status_code in (200, 400)
            assert b"<script>alert(" not in response.content
            assert b"<img src=x onerror" not in response.content
            assert b"<svg/onload" not in response.content
