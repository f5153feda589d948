"""Every careplans page: labelled controls, quick exit, languages, emergency access limits."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from safehaven.access.models import BreakGlassGrant
from tests.careplans.helpers import assess, plan_with_goal, url

pytestmark = pytest.mark.django_db


def _pages(cast):
    assessment = assess(cast, housing="need")
    plan_with_goal(cast)
    return [url(n, cast.patient) for n in ("needs", "plan", "safety", "contacts", "new_conference", "timeline")] + [
        url("assessment", assessment), reverse("careplans:caseload"),
    ]


def test_every_control_has_a_label_and_every_page_has_quick_exit(cast, client_for):
    client = client_for(cast.ana)
    for page_url in _pages(cast):
        page = client.get(page_url).content.decode()
        assert "data-quick-exit" in page, page_url
        ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
        hidden = set(re.findall(r'<input[^>]*type="(?:hidden|submit)"[^>]*id="([^"]+)"', page))
        labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
        assert ids - hidden <= labelled, (page_url, ids - hidden - labelled)


@pytest.mark.parametrize(("lang", "word"), [("es", "Necesidades y plan"), ("fr", "Besoins et plan")])
def test_the_panel_renders_in_spanish_and_french(cast, client_for, lang, word):
    client = client_for(cast.ana)
    client.cookies["django_language"] = lang
    page = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert word in page


def test_the_caseload_is_in_the_navigation_for_case_managers_only(cast, client_for):
    caseload = reverse("careplans:caseload")
    assert caseload in client_for(cast.ana).get(reverse("people:worklist")).content.decode()
    assert caseload not in client_for(cast.bob).get(reverse("people:worklist")).content.decode()


def test_emergency_access_cannot_print_the_plan(cast, client_for):
    plan_with_goal(cast)
    BreakGlassGrant.objects.create(user=cast.carol, person=cast.patient, reason="Emergency",
                                   expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert client_for(cast.carol).get(url("print", cast.patient)).status_code == 403


def test_the_demo_hook_is_idempotent(cast):
    import io

    from safehaven.accounts.models import User
    from safehaven.careplans.demo import demo_hook
    from safehaven.careplans.models import CarePlan, NeedsAssessment

    User.objects.filter(pk=cast.ana.pk).update(username="advocate")
    demo_hook(io.StringIO())
    demo_hook(io.StringIO())
    assert CarePlan.objects.filter(person=cast.patient).count() == 1
    assert NeedsAssessment.objects.filter(person=cast.patient).count() == 2
