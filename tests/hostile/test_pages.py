"""Free-text pages of each capability, end to end with the hostile corpus.

For each field: the post is saved (redirect) or refused with a message (400 and the form's
errors), never a 500; a refusal writes nothing; and every page that shows the saved text
shows it as text, never as live markup.
"""

import pytest
from django.urls import reverse

from safehaven.testing.factories import make_person
from tests.hostile.corpus import CONTROL, FORMULA, LONG, NUL, SCRIPT, SQL
from tests.hostile.helpers import changed, live_markup, row_counts

pytestmark = pytest.mark.django_db
CASES = SCRIPT[:3] + SQL[:2] + FORMULA[:2] + CONTROL[:2] + [NUL] + LONG[:1]
APPS = ("people", "followup", "careplans", "consent", "access", "referrals", "screening")


def hammer(client, url, base, fields, *, saved=(302,)):
    """Post every hostile value into every field; return the labels that were saved."""
    kept = []
    client.raise_request_exception = False
    for field in fields:
        for label, value in CASES:
            data = {**(base() if callable(base) else base), field: value}
            before = row_counts(APPS)
            response = client.post(url, data)
            assert response.status_code < 500, (url, field, label)
            if response.status_code == 400:
                assert b"errorlist" in response.content or b'role="alert"' in response.content, (field, label)
                assert changed(before, row_counts(APPS)) == {}, (field, label)
            else:
                assert response.status_code in saved, (url, field, label, response.status_code)
                kept.append(label)
            if label in ("nul", "long-100k"):
                assert response.status_code == 400, (field, label)
    return kept


def assert_inert(client, *urls):
    """Check the pages show no live markup, and that at least one shows the saved script as text."""
    shown = []
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert live_markup(html) == [], (url, live_markup(html))
        shown.append("&lt;script&gt;alert(" in html)
    assert any(shown), "the saved text is not shown anywhere; the check would prove nothing"


def test_appointment_rooms_and_preferences(cast, client_for):
    import datetime

    from django.utils import timezone

    client = client_for(cast.alice)
    starts = [timezone.localtime() + datetime.timedelta(days=2)]

    def booking():
        starts[0] += datetime.timedelta(hours=1)
        return {"clinician": str(cast.alice.public_id), "minutes": "30", "room": "2",
                "starts_at": starts[0].strftime("%Y-%m-%dT%H:%M")}

    url = reverse("followup:book", args=[cast.patient.public_id])
    assert "script-tag" in hammer(client, url, booking, ["room", "preference_note"])
    assert client.post(url, {**booking(), "room": SCRIPT[0][1][:60], "preference_note": SCRIPT[0][1]}).status_code == 302
    day = starts[0].date().isoformat()
    assert_inert(client, reverse("followup:person_outcomes", args=[cast.patient.public_id]),
                 reverse("people:chart", args=[cast.patient.public_id]), reverse("followup:day") + f"?date={day}")


def test_safety_plan_fields(cast, client_for):
    client = client_for(cast.ana)
    url = reverse("careplans:safety", args=[cast.patient.public_id])

    def base():
        from safehaven.careplans.models import SafetyPlan

        plan = SafetyPlan.objects.filter(person=cast.patient).first()
        return {"version": plan.version} if plan else {}

    fields = ["safe_places", "safe_contacts", "code_words", "documents_ready"]
    assert "script-tag" in hammer(client, url, base, fields)
    assert client.post(url, {**base(), **{f: SCRIPT[0][1] for f in fields}}).status_code == 302
    assert_inert(client, url)


def test_care_plan_goals(cast, client_for):
    from safehaven.careplans import actions
    from safehaven.careplans.models import CarePlan

    actions.start_plan(by=cast.alice, person=cast.patient)
    client = client_for(cast.alice)

    def base():
        return {"version": CarePlan.objects.get(person=cast.patient).version, "status": "active",
                "description": "Find housing"}

    url = reverse("careplans:add_goal", args=[cast.patient.public_id])
    assert "script-tag" in hammer(client, url, base, ["description"])
    assert_inert(client, reverse("careplans:plan", args=[cast.patient.public_id]),
                 reverse("careplans:timeline", args=[cast.patient.public_id]))


def test_required_reports(cast, client_for):
    teen = make_person(cast.ana, cast.site_a, "Teo", age_band="12-17")
    client = client_for(cast.ana)
    base = {"recipient_category": "child_protection", "agency": "County CPS",
            "legal_basis": "State mandated reporter law", "categories": ["identity_contact"],
            "person_told": "on", "how_told": "In person"}
    url = reverse("consent:new_report", args=[teen.public_id])
    assert "script-tag" in hammer(client, url, base, ["agency", "legal_basis", "how_told", "notes"])
    assert_inert(client, reverse("consent:disclosures", args=[teen.public_id]),
                 reverse("consent:person", args=[teen.public_id]))


def test_break_glass_reasons(cast, client_for):
    from safehaven.access.models import BreakGlassGrant

    client = client_for(cast.carol)
    url = reverse("access:break_glass")

    def base():
        BreakGlassGrant.objects.all().delete()
        return {"record_id": str(cast.patient.public_id), "reason": "Unconscious in clinic"}

    kept = hammer(client, url, base, ["reason"], saved=(302,))
    assert kept, "no reason was accepted"
