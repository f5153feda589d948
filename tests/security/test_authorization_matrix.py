"""Every route × every role × every relationship gives the expected answer (see matrix.py)."""

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from safehaven.access.gate import sites_with
from tests.security.matrix import OBJECTS, PUBLIC, ROUTES, SIGNED_IN, TOKEN

pytestmark = pytest.mark.django_db


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


STAFF = ["alice", "bob", "fay", "ana", "carol", "dan", "erin", "eve", "tom"]


def expected(cast, route, username, person) -> str:
    """Return "allow", "403" or "404" for this user on this record."""
    user = getattr(cast, username)
    if route.perm in (PUBLIC, SIGNED_IN, TOKEN):
        return "allow"
    sites = sites_with(user, route.perm)
    if not sites:
        return "403"
    if route.obj is None:
        return "allow"
    if person.site_id not in sites:
        return "404"
    if route.scope == "site":
        return "allow"
    from safehaven.people.models import CareTeamMember

    if CareTeamMember.objects.filter(person=person, user=user, active=True).exists():
        return "allow"
    return "404"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_answers_as_the_matrix_says_for_every_role_and_relationship(cast, name):
    from safehaven.testing.factories import login

    route = ROUTES[name]
    if route.perm == TOKEN:
        pytest.skip("token links are covered by their own tests")
    relations = _relations(cast) if route.obj else {"none": cast.patient}
    failures = []
    for relation, person in relations.items():
        kwargs = route.kwargs(cast, person) if route.kwargs else {}
        if route.obj:
            kwargs.update(OBJECTS[route.obj](cast, person))
        # anonymous
        anon = _call(Client(), name, route, kwargs)
        if route.perm == PUBLIC:
            if anon.status_code >= 400 and anon.status_code not in (400, 405):
                failures.append(f"anonymous {relation}: {anon.status_code}")
        else:
            want = (401,) if route.api else (302,)
            if anon.status_code not in want or (anon.status_code == 302 and "/accounts/login/" not in anon["Location"]):
                failures.append(f"anonymous {relation}: {anon.status_code}")
        for username in STAFF:
            client = login(Client(), getattr(cast, username))
            response = _call(client, name, route, kwargs)
            want = expected(cast, route, username, person)
            got = response.status_code
            if want == "allow":
                ok = got < 500 and got not in (401, 403, 404)
            else:
                ok = str(got) == want
            if not ok:
                failures.append(f"{username} on {relation}: expected {want}, got {got}")
    assert not failures, f"{name}: " + "; ".join(failures)
