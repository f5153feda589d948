"""Care consents step by step: ask before each step, record answer and time, stop at any moment."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safehaven.consent import actions, queries
from safehaven.consent.actions import ConsentInputError
from safehaven.consent.models import CareStepConsent
from safehaven.consent.panels import consent_panel
from safehaven.consent.steps import STEPS
from safehaven.people import actions as people_actions
from tests.consent.helpers import encounter

pytestmark = pytest.mark.django_db


def steps_url(enc):
    return reverse("consent:encounter_steps", args=[enc.public_id])


def answer(client, enc, step, status, **extra):
    return client.post(steps_url(enc), {"step": step, "status": status, **extra})


def test_the_exam_screen_asks_before_each_step(cast, client_for):
    enc = encounter(cast)
    page = client_for(cast.alice).get(steps_url(enc)).content.decode()
    for care_step in STEPS:
        assert str(care_step.question).replace("'", "&#x27;") in page
    assert "May I do a pelvic or genital exam?" in page


def test_it_records_the_answer_and_the_time(cast, client_for):
    enc = encounter(cast)
    response = answer(client_for(cast.alice), enc, "touch", "active", note="ok, tell me first")
    assert response.status_code == 302
    row = CareStepConsent.objects.get(encounter=enc, step="touch")
    assert row.status == "active" and row.answered_at is not None and row.recorded_by == cast.alice
    assert row.note == "ok, tell me first"


def test_a_step_withdrawn_mid_exam_is_no_longer_allowed(cast, client_for):
    enc = encounter(cast)
    client = client_for(cast.alice)
    answer(client, enc, "touch", "active")
    answer(client, enc, "exam_abdomen", "active")
    assert queries.may_proceed(enc, "exam_abdomen")
    # Halfway through the exam they ask to stop all touch.
    answer(client, enc, "touch", "inactive")
    assert not queries.may_proceed(enc, "exam_abdomen")
    page = client.get(steps_url(enc)).content.decode()
    assert "They asked to stop" in page
    assert "Before this step, ask about:" in page
    assert [r.status for r in CareStepConsent.objects.filter(encounter=enc, step="touch")] == ["active", "inactive"]


def test_a_step_that_needs_touch_is_not_allowed_before_touch_is_asked(cast):
    enc = encounter(cast)
    actions.record_step_answer(by=cast.alice, encounter=enc, step="pelvic_genital", status="active")
    assert not queries.may_proceed(enc, "pelvic_genital")
    actions.record_step_answer(by=cast.alice, encounter=enc, step="touch", status="active")
    actions.record_step_answer(by=cast.alice, encounter=enc, step="undress", status="active")
    assert queries.may_proceed(enc, "pelvic_genital")


def test_restraint_is_never_an_option(cast, client_for):
    enc = encounter(cast)
    page = client_for(cast.alice).get(steps_url(enc)).content.decode().lower()
    assert "restrain" not in page
    assert not any("restrain" in s.code for s in STEPS)
    response = answer(client_for(cast.alice), enc, "restraint", "active")
    assert response.status_code == 400 and not CareStepConsent.objects.exists()


def test_bad_answers_get_a_clear_message(cast, client_for):
    enc = encounter(cast)
    client = client_for(cast.alice)
    response = answer(client, enc, "touch", "maybe")
    assert response.status_code == 400 and "Nothing was saved" in response.content.decode()
    response = answer(client, enc, "clinician_gender", "active", preference="<script>")
    assert response.status_code == 400 and "Choose one of the listed preferences." in response.content.decode()
    assert not CareStepConsent.objects.exists()


def test_hostile_text_in_their_words_is_harmless(cast, client_for):
    enc = encounter(cast)
    client = client_for(cast.alice)
    answer(client, enc, "touch", "rejected", note="<script>alert(1)</script>\u202e' OR 1=1 --\x07")
    page = client.get(steps_url(enc)).content.decode()
    assert "<script>alert(1)</script>" not in page
    # Markup is kept as text (and escaped when shown); control and bidi-override characters go.
    assert CareStepConsent.objects.get().note == "<script>alert(1)</script>' OR 1=1 --"
    assert answer(client, enc, "touch", "active", note="nul\x00").status_code == 400


def test_a_closed_visit_takes_no_new_yes_but_still_takes_a_stop(cast):
    enc = encounter(cast)
    actions.record_step_answer(by=cast.alice, encounter=enc, step="photo_clinical", status="active")
    people_actions.finish_encounter(by=cast.alice, encounter=enc)
    with pytest.raises(ConsentInputError):
        actions.record_step_answer(by=cast.alice, encounter=enc, step="photo_forensic", status="active")
    actions.record_step_answer(by=cast.alice, encounter=enc, step="photo_clinical", status="inactive")
    assert not queries.may_proceed(enc, "photo_clinical")


def test_steps_page_requires_login(cast, client):
    enc = encounter(cast)
    response = client.get(steps_url(enc))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_steps_page_refuses_roles_without_clinical_access(cast, client_for):
    enc = encounter(cast)
    assert client_for(cast.fay).get(steps_url(enc)).status_code == 403
    assert client_for(cast.eve).get(steps_url(enc)).status_code == 403
    # an advocate may not record exam answers
    assert answer(client_for(cast.ana), enc, "touch", "active").status_code == 403


def test_steps_page_is_404_for_another_team_and_another_site(cast, client_for):
    enc = encounter(cast)
    assert client_for(cast.carol).get(steps_url(enc)).status_code == 404
    assert client_for(cast.dan).get(steps_url(enc)).status_code == 404
    assert answer(client_for(cast.carol), enc, "touch", "active").status_code == 404
    assert not CareStepConsent.objects.exists()


def panel_for(user, person):
    request = RequestFactory().get("/")
    request.user = user
    return consent_panel(request, person)


def test_what_they_declined_is_shown_to_the_next_clinician(cast):
    enc = encounter(cast)
    actions.record_step_answer(by=cast.alice, encounter=enc, step="pelvic_genital", status="rejected")
    actions.record_step_answer(by=cast.alice, encounter=enc, step="touch", status="active")
    actions.record_step_answer(by=cast.alice, encounter=enc, step="photo_forensic", status="active")
    actions.record_step_answer(by=cast.alice, encounter=enc, step="photo_forensic", status="inactive")
    panel = panel_for(cast.bob, cast.patient)
    html = render_to_string(panel["template"], {"panel": panel["context"]})
    assert "Pelvic or genital exam" in html and "said no" in html
    assert "Photographs that could be used as evidence" in html and "asked to stop" in html
    assert "Touch</strong>" not in html
    assert reverse("consent:encounter_steps", args=[enc.public_id]) in html


def test_the_panel_is_hidden_from_roles_without_clinical_or_consent_access(cast):
    assert panel_for(cast.fay, cast.patient) is None


def test_the_panel_runs_a_fixed_number_of_queries(cast):
    def count(n_visits):
        for _i in range(n_visits):
            enc = encounter(cast)
            for care_step in STEPS:
                actions.record_step_answer(by=cast.alice, encounter=enc, step=care_step.code, status="rejected")
        user = type(cast.alice).objects.get(pk=cast.alice.pk)
        with CaptureQueriesContext(connection) as ctx:
            panel = panel_for(user, cast.patient)
            render_to_string(panel["template"], {"panel": panel["context"]})
        return len(ctx)

    assert count(1) == count(4)


def test_the_encounter_page_links_to_the_step_by_step_exam_consent(cast, client_for):
    from django.urls import reverse

    from safehaven.people import actions as people_actions

    encounter = people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="community_clinic",
                                               chief_complaint="check-up")
    page = client_for(cast.alice).get(reverse("people:encounter", args=[encounter.public_id])).content.decode()
    assert reverse("consent:encounter_steps", args=[encounter.public_id]) in page
