"""The careplans routes answer as the shared authorization matrix expects, for every role."""

import pytest
from django.test import Client

from tests.careplans import matrix
from tests.security import matrix as shared
from tests.security.test_authorization_matrix import _call, _relations, expected

pytestmark = pytest.mark.django_db
ROUTES = matrix.routes(shared.Route)
OBJECTS = {**shared.OBJECTS, **matrix.objects()}
STAFF = ["alice", "bob", "fay", "ana", "carol", "dan", "eve"]


def test_every_careplans_route_has_an_entry():
    from tests.security.test_authorization_matrix import named_routes

    assert {n for n in named_routes() if n.startswith("careplans:")} == set(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_careplans_route_answers_as_the_matrix_says(cast, name):
    from safehaven.testing.factories import login

    route = ROUTES[name]
    relations = _relations(cast) if route.obj else {"none": cast.patient}
    failures = []
    for relation, person in relations.items():
        kwargs = OBJECTS[route.obj](cast, person) if route.obj else {}
        anon = _call(Client(), name, route, kwargs)
        if anon.status_code != 302 or "/accounts/login/" not in anon["Location"]:
            failures.append(f"anonymous {relation}: {anon.status_code}")
        for username in STAFF:
            response = _call(login(Client(), getattr(cast, username)), name, route, kwargs)
            want, got = expected(cast, route, username, person), response.status_code
            ok = (got < 500 and got not in (401, 403, 404)) if want == "allow" else str(got) == want
            if not ok:
                failures.append(f"{username} on {relation}: expected {want}, got {got}")
    assert not failures, f"{name}: " + "; ".join(failures)
