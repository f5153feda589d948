import pytest

from tests.careplans.helpers import assess, plan_with_goal, url

pytestmark = pytest.mark.django_db


def test_every_page_opens_for_the_advocate(cast, client_for):
    assessment = assess(cast, housing="urgent")
    plan_with_goal(cast)
    client = client_for(cast.ana)
    for name in ("needs", "plan", "safety", "contacts", "new_conference", "timeline"):
        response = client.get(url(name, cast.patient))
        assert response.status_code == 200, name
    assert client.get(url("assessment", assessment)).status_code == 200
    from django.urls import reverse

    assert client.get(reverse("careplans:caseload")).status_code == 200
    assert client.get(reverse("people:chart", args=[cast.patient.public_id])).status_code == 200
    response = client.get(url("print", cast.patient))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
