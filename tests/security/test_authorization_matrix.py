"""Every route × every role × every relationship gives the expected answer (see matrix.py)."""

import datetime

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from safehaven.access.gate import access_route, sites_with
from safehaven.accounts.middleware import KIOSK_KEY
from safehaven.testing.factories import login
from tests.security import matrix
from tests.security.matrix import OBJECTS, PUBLIC, ROUTES, SIGNED_IN, TOKEN, partner_user

pytestmark = pytest.mark.django_db

# Every staff persona of the shared cast, and a partner organisation's account ("pat").
STAFF = ["alice", "bob", "fay", "ana", "carol", "dan", "erin", "eve", "tom", "pat"]
# Tried on the own team's records too: "gia", a clinician at Harbor who broke the glass for the
# patient (allowed like the team), and "rex", a nurse who was on the team and was removed (404).
ON_OWN_TEAM = ["gia", "rex"]


def _add_relationship_personas(cast) -> None:
    from safehaven.access import actions as access_actions
    from safehaven.people import actions as people_actions
    from safehaven.testing.factories import make_staff

    cast.gia = make_staff("gia", cast.site_a, "clinician")
    access_actions.break_glass(by=cast.gia, person=cast.patient, reason="matrix: emergency access")
    cast.rex = make_staff("rex", cast.site_a, "nurse")
    people_actions.add_to_care_team(by=cast.alice, person=cast.patient, user=cast.rex)
    people_actions.remove_from_care_team(by=cast.alice, person=cast.patient, user=cast.rex)


def named_routes() -> dict[str, str]:
    """Return {name: pattern} for every named route in the URL configuration."""
    found: dict[str, str] = {}

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif p.name:
                found[f"{namespace}:{p.name}" if namespace else p.name] = prefix + str(p.pattern)

    walk(get_resolver().url_patterns, "", None)
    return found


def test_every_route_has_an_entry_in_the_matrix():
    missing = sorted(set(named_routes()) - set(ROUTES))
    assert not missing, "routes without an authorization entry: " + ", ".join(missing)


def test_the_matrix_names_no_route_that_does_not_exist():
    assert not sorted(set(ROUTES) - set(named_routes()))


def test_every_path_of_the_api_description_is_a_route_in_the_matrix():
    """The OpenAPI description is the other source of routes: each of its paths has an entry."""
    import re

    from django.urls import resolve

    from safehaven.api.openapi import build_openapi

    unmatched = []
    for path, operations in build_openapi()["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
        match = resolve(concrete)
        name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        route = ROUTES.get(name)
        if route is None or (route.perm not in (PUBLIC,) and not route.api):
            unmatched.append(f"{path} -> {name}")
        elif {m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"}} - {route.method, "GET"}:
            unmatched.append(f"{path}: methods not in the matrix")
    assert not unmatched, "API paths without a matching API entry: " + ", ".join(unmatched)


def test_every_record_kind_named_by_a_route_has_a_factory():
    assert not sorted({r.obj for r in ROUTES.values() if r.obj} - set(OBJECTS))


def _call(client, name, route, kwargs):
    url = reverse(name, kwargs=kwargs or None)
    if route.method == "POST":
        return client.post(url, route.data)
    return client.get(url)


def _relations(cast):
    return {
        "own_team": cast.patient,  # alice, bob, fay, ana are on its team; carol (same site) is not
        "other_site": cast.other_patient,  # dan's patient at another clinic
    }


def _sites(user, perm) -> frozenset[int]:
    if isinstance(perm, tuple):
        return frozenset().union(*(sites_with(user, p) for p in perm))
    return sites_with(user, perm)


def expected(cast, route, username, person) -> str:
    """Return "allow", "403" or "404" for this user on this record."""
    if route.expect is not None:
        return route.expect(cast, username, person)
    user = getattr(cast, username)
    if route.perm in (PUBLIC, SIGNED_IN, TOKEN):
        return "allow"
    sites = _sites(user, route.perm)
    if not sites:
        return "403"
    if route.obj is None:
        return "allow"
    if person.site_id not in sites:
        return "404"
    if route.scope in ("site", "partner"):
        return "allow"
    how = access_route(user, person)  # care team, or an unexpired break-the-glass grant
    if how == "break_glass":
        return route.break_glass
    return "allow" if how else "404"


def _anonymous_ok(route, response) -> bool:
    got = response.status_code
    if route.fixed is not None:
        return got == route.fixed
    if route.perm == PUBLIC:
        return got < 400 or got in (400, 405)
    if route.api:
        return got == 401
    return got == 302 and "/accounts/login/" in response["Location"]


SIGN_IN_PATHS = ("/accounts/login/", "/accounts/two-factor/")


def _half_signed_in_ok(route, response) -> bool:
    """Signed in with the password but not the second factor: nothing beyond the sign-in pages."""
    got = response.status_code
    if route.fixed is not None:
        return got in (route.fixed, 401)  # the two-factor check may answer first
    if route.perm == PUBLIC or (route.perm == SIGNED_IN and response.request["PATH_INFO"].startswith("/accounts/")):
        return got < 500
    to_second_factor = got == 302 and response["Location"].startswith(SIGN_IN_PATHS)
    if route.api:
        # /api/ and /fhir/ answer 401; the HSDS API sends the browser to the second factor.
        return got == 401 or to_second_factor
    return to_second_factor


def _staff_ok(route, want, response) -> bool:
    got = response.status_code
    if route.fixed is not None:
        return got == route.fixed
    if want == "allow":
        # Being sent back to sign in is no more an answer than a 403 (the second factor is done).
        bounced = (got == 302 and response["Location"].startswith(SIGN_IN_PATHS)
                   and route.perm not in (PUBLIC, SIGNED_IN))
        return got < 500 and got not in (401, 403, 404) and not bounced
    return str(got) == want


@pytest.fixture
def no_pdf_rendering(monkeypatch):
    """Answers are decided before a PDF is drawn: skip the drawing to keep the matrix fast."""
    import weasyprint

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", lambda self, *a, **k: b"%PDF-1.7 matrix")


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_answers_as_the_matrix_says_for_every_role_and_relationship(cast, no_pdf_rendering, name):
    route = ROUTES[name]
    if route.perm == TOKEN:
        pytest.skip("token links are covered by their own tests")
    cast.pat = partner_user(cast)
    if route.obj:
        _add_relationship_personas(cast)
    relations = _relations(cast) if route.obj else {"none": cast.patient}
    clients: dict[str, Client] = {}
    failures = []
    for relation, person in relations.items():
        kwargs = route.kwargs(cast, person) if route.kwargs else {}
        if route.obj:
            made = OBJECTS[route.obj](cast, person)
            kwargs[route.id_kwarg] = made.pop("public_id")
            kwargs.update(made)
        anon = _call(Client(), name, route, kwargs)
        if not _anonymous_ok(route, anon):
            failures.append(f"anonymous {relation}: {anon.status_code}")
        if "half" not in clients:
            clients["half"] = Client()
            clients["half"].force_login(cast.alice)  # password only: the second factor is not done
        response = _call(clients["half"], name, route, kwargs)
        if not _half_signed_in_ok(route, response):
            failures.append(f"alice without the second factor on {relation}: {response.status_code}")
        for username in STAFF + (ON_OWN_TEAM if relation == "own_team" else []):
            if username not in clients:
                clients[username] = login(Client(), getattr(cast, username))
            response = _call(clients[username], name, route, kwargs)
            if KIOSK_KEY in clients[username].session:  # the tablet locks its client to itself
                del clients[username]
            want = expected(cast, route, username, person)
            if not _staff_ok(route, want, response):
                failures.append(f"{username} on {relation}: expected {route.fixed or want}, "
                                f"got {response.status_code}")
    assert not failures, f"{name}: " + "; ".join(failures)


# --- relationships of their own: the partner link, and machine clients of the FHIR API --------

def test_the_partner_link_opens_only_its_own_referral_for_anyone_who_holds_it(cast):
    """`partner:link` carries its own secret: the token opens one referral, to anyone, and nothing else."""
    from safehaven.referrals import actions

    matrix_partner = partner_user(cast)
    mine = matrix.make_referral(cast, cast.patient)
    theirs = matrix.make_referral(cast, cast.other_patient)
    _old, superseded_token = actions.create_partner_link(by=cast.alice, referral=mine)
    link, token = actions.create_partner_link(by=cast.alice, referral=mine)  # the earlier link stops
    _their_link, their_token = actions.create_partner_link(by=cast.dan, referral=theirs)
    revoked, revoked_token = actions.create_partner_link(by=cast.dan, referral=theirs)
    actions.revoke_partner_link(by=cast.dan, link=revoked)
    callers = {"anonymous": Client()} | {u: login(Client(), getattr(cast, u)) for u in ("alice", "carol", "dan")}
    callers["pat"] = login(Client(), matrix_partner)
    failures = []
    for who, client in callers.items():
        page = client.get(reverse("partner:link", args=[token]))
        if page.status_code != 200 or "Iris" in page.content.decode():
            failures.append(f"{who}: own link gave {page.status_code}")
        for label, wrong in {
            "superseded link": superseded_token, "revoked link": revoked_token, "one character changed": token[:-1] + ("A" if token[-1] != "A" else "B"),
            "referral id": str(mine.public_id), "link id": str(link.public_id), "garbage": "x" * 40,
        }.items():
            got = client.get(reverse("partner:link", args=[wrong])).status_code
            if got != 404:
                failures.append(f"{who}: {label} gave {got}")
    assert not failures, "; ".join(failures)
    # Posting through one link moves only its own referral.
    Client().post(reverse("partner:link", args=[token]), {"to_status": "accepted"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "accepted" and theirs.status == "requested"
    assert Client().get(reverse("partner:link", args=[their_token])).status_code == 404  # superseded too


def test_fhir_bearer_tokens_are_bounded_by_role_care_team_and_consent(cast):
    """A machine client acts as a staff account: its team, its role and each person's consent bound it."""
    from safehaven.consent.models import ConsentGrant
    from safehaven.fhir import actions
    from safehaven.fhir.models import SCOPE_EXPORT, SCOPE_READ_ALL
    from safehaven.testing.factories import make_person

    ref = "7d6f1f9e-8a4b-4c61-9f25-1d8b7c1e2a01"
    noor = make_person(cast.carol, cast.site_a, "Noor")  # another team at the same site
    now = timezone.now()
    for person in (cast.patient, cast.other_patient, noor):
        ConsentGrant.objects.create(
            person=person, provision="permit", recipient_kind="organization", recipient_ref=ref,
            recipient_label="Partner clinic", recipient_category="health_care", purposes=["treatment"],
            categories=["identity_contact", "clinical_summary"], method="written", informed=True,
            signature_name="R.", recorded_by=cast.alice, starts_at=now - datetime.timedelta(days=1),
            expires_at=now + datetime.timedelta(days=30),
        )

    def token_for(user, scopes):
        client = actions.register_client(by=cast.erin, name="Partner EHR", acts_as=user,
                                         recipient_category="health_care", recipient_ref=ref)
        return {"HTTP_AUTHORIZATION": "Bearer " + actions.issue_token(by=cast.erin, client=client, scopes=scopes)[1]}

    reader = token_for(cast.alice, [SCOPE_READ_ALL, SCOPE_EXPORT])
    http = Client()

    def read(person, headers):
        return http.get(reverse("fhir:read", args=["Patient", str(person.public_id)]), **headers).status_code

    assert read(cast.patient, reader) == 200
    assert read(cast.other_patient, reader) == 404  # another site
    assert read(noor, reader) == 404  # another team at the same site
    found = http.get(reverse("fhir:search", args=["Patient"]), **reader).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(cast.patient.public_id)]
    assert http.get(reverse("fhir:export_system"), **reader).status_code == 403  # alice's role cannot export
    exporter = token_for(cast.erin, [SCOPE_EXPORT])
    assert http.get(reverse("fhir:export_group", args=[str(cast.site_b.public_id)]), **exporter).status_code == 404
    assert http.get(reverse("fhir:read", args=["Patient", str(cast.patient.public_id)]), **exporter).status_code == 403
    unknown = {"HTTP_AUTHORIZATION": "Bearer shf_not-a-real-token"}
    for name, args in (("fhir:read", ["Patient", str(cast.patient.public_id)]), ("fhir:search", ["Patient"]),
                       ("fhir:export_system", [])):
        response = http.get(reverse(name, args=args), **unknown)
        assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"


FHIR_RECORDS = {
    # resource type -> make(cast, person) -> the record's public id
    "Encounter": lambda cast, person: OBJECTS["encounter"](cast, person)["public_id"],
    "Goal": lambda cast, person: OBJECTS["goal"](cast, person)["public_id"],
    "CarePlan": lambda cast, person: matrix._goal(cast, person).plan.public_id,
    "Consent": lambda cast, person: OBJECTS["consent_grant"](cast, person)["public_id"],
    "ServiceRequest": lambda cast, person: OBJECTS["referral"](cast, person)["public_id"],
    "Task": lambda cast, person: OBJECTS["referral"](cast, person)["public_id"],
}


# The role a staff member needs to read a kind of record through FHIR is the role the
# capability's own pages ask for: the API is no side door around them.
PAGE_OF = {
    "Encounter": "people:encounter", "Goal": "careplans:plan", "CarePlan": "careplans:plan",
    "Consent": "consent:person", "ServiceRequest": "referrals:detail", "Task": "referrals:detail",
}
KNOWN_SIDE_DOORS: dict[str, str] = {}  # FHIR types whose read does not yet follow their pages' role


@pytest.mark.parametrize("resource_type", [
    pytest.param(t, marks=pytest.mark.xfail(reason=KNOWN_SIDE_DOORS[t], strict=False)) if t in KNOWN_SIDE_DOORS
    else t for t in sorted(FHIR_RECORDS)
])
def test_fhir_read_of_each_kind_of_record_follows_role_and_care_team(cast, resource_type):
    """`fhir:read` for every kind of a person's record, not just Patient, as every role and relationship."""
    perm = ROUTES[PAGE_OF[resource_type]].perm
    rule = matrix.Route(perm, obj="person", api=True)
    clients = {u: login(Client(), getattr(cast, u)) for u in STAFF[:-1]}
    failures = []
    for relation, person in _relations(cast).items():
        url = reverse("fhir:read", args=[resource_type, str(FHIR_RECORDS[resource_type](cast, person))])
        if Client().get(url).status_code != 401:
            failures.append(f"anonymous on {relation}")
        for username, client in clients.items():
            response = client.get(url)
            want = expected(cast, rule, username, person)
            if not _staff_ok(rule, want, response):
                failures.append(f"{username} on {relation}: expected {want}, got {response.status_code}")
    assert not failures, f"{resource_type} ({perm}): " + "; ".join(failures)
