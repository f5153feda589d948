"""Staff search page and service page: who may use them, confidential addresses, bad input."""

import pytest
from django.test import Client
from django.urls import reverse

from safehaven.audit.models import AuditEvent
from tests.directory.helpers import make_service

pytestmark = pytest.mark.django_db
SEARCH = reverse("directory:search")


def test_it_requires_sign_in():
    assert Client().get(SEARCH).status_code == 302


def test_it_refuses_roles_without_case_or_person_access(cast, client_for):
    service = make_service("Pantry")
    for user in (cast.eve, cast.erin, cast.tom):
        client = client_for(user)
        assert client.get(SEARCH).status_code == 403
        assert client.get(reverse("directory:service", args=[service.public_id])).status_code == 403


def test_staff_find_services_by_need(cast, client_for):
    make_service("Food Pantry", description="A food pantry.")
    make_service("Legal Clinic", description="Legal help.")
    page = client_for(cast.fay).get(SEARCH, {"domain": "food"}).content.decode()
    assert "Food Pantry" in page and "Legal Clinic" not in page


def test_the_confidential_address_shows_only_to_case_managers_and_clinicians(cast, client_for):
    service = make_service("Quiet Shelter", confidential=True)
    detail = reverse("directory:service", args=[service.public_id])
    for user in (cast.ana, cast.alice):
        assert "Secret Lane" in client_for(user).get(SEARCH, {"q": "quiet"}).content.decode()
        assert "Secret Lane" in client_for(user).get(detail).content.decode()
    for user in (cast.fay,):  # front desk: person access, no case management or clinical writing
        assert "Secret Lane" not in client_for(user).get(SEARCH, {"q": "quiet"}).content.decode()
        body = client_for(user).get(detail).content.decode()
        assert "Secret Lane" not in body and "call the service" in body
    assert AuditEvent.objects.filter(action="directory.confidential_address.view").exists()


def test_bad_input_gets_a_400_with_the_answers_kept(cast, client_for):
    client = client_for(cast.ana)
    response = client.get(SEARCH, {"lat": "91", "lon": "0", "q": "kept words"})
    assert response.status_code == 400 and "kept words" in response.content.decode()
    response = client.get(SEARCH, {"lat": "37.8"})
    assert response.status_code == 400 and "latitude and the longitude" in response.content.decode()
    assert client.get(SEARCH, {"domain": "<script>"}).status_code == 400
    assert client.get(reverse("directory:service", args=["nope"])).status_code == 404


def test_hostile_search_text_is_harmless(cast, client_for):
    client = client_for(cast.ana)
    for q in ["' OR 1=1 --", "<script>alert(1)</script>", "%", "\u202eshelter"]:
        response = client.get(SEARCH, {"q": q})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_the_demo_directory_is_idempotent_and_has_a_confidential_shelter():
    from safehaven.directory.demo import SERVICES, load_demo_directory
    from safehaven.directory.models import Location, Service

    load_demo_directory()
    load_demo_directory()
    assert Service.objects.count() == len(SERVICES) >= 30
    assert Location.objects.filter(confidential_location=True).count() == 1
    assert Service.objects.filter(serves_survivors=True).exists()


def test_resources_is_in_the_navigation(cast, client_for):
    assert SEARCH in client_for(cast.ana).get(SEARCH).content.decode()
