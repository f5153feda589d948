"""PEARR steps, questions, decline/defer, the tablet, responses, minors, documentation, print."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safehaven.audit.models import AuditEvent
from safehaven.consent.models import Disclosure
from safehaven.people import actions as people_actions
from safehaven.screening import actions, queries
from safehaven.screening.models import (
    HealthConcern,
    MandatoryReport,
    ResponseTask,
    ScoredResult,
    ScreeningResponse,
    ScreeningSession,
)
from safehaven.testing.factories import make_person

from .conftest import phq9_answers

pytestmark = pytest.mark.django_db


def session_url(session):
    return reverse("screening:session", args=[session.public_id])


def ask_url(session, instrument):
    return reverse("screening:ask", args=[session.public_id, instrument.public_id])


def form_data(instrument, answers):
    """Return POST data for the questions page from {linkId: value}."""
    from safehaven.screening import engine

    data = {}
    for index, item in enumerate(engine.answerable_items(instrument.resource)):
        if item["linkId"] in answers:
            data[f"a{index}"] = answers[item["linkId"]]
    return data


# --- access -------------------------------------------------------------------------------

def test_screening_pages_require_login(cast, client, instruments, private_session):
    for url in [session_url(private_session), reverse("screening:instruments"),
                ask_url(private_session, instruments["PHQ9"])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_front_desk_and_evaluators_cannot_screen(cast, client_for, private_session):
    for user in (cast.fay, cast.eve):
        assert client_for(user).get(session_url(private_session)).status_code == 403
        start = reverse("screening:start", args=[cast.patient.public_id])
        assert client_for(user).post(start).status_code == 403


def test_another_team_and_another_site_get_404(cast, client_for, private_session):
    for user in (cast.carol, cast.dan):
        assert client_for(user).get(session_url(private_session)).status_code == 404
        start = reverse("screening:start", args=[cast.patient.public_id])
        assert client_for(user).post(start).status_code == 404
    assert client_for(cast.alice).get(reverse("screening:session", args=["nope"])).status_code == 404


def test_an_advocate_on_the_team_can_screen(cast, client_for):
    response = client_for(cast.ana).post(reverse("screening:start", args=[cast.patient.public_id]))
    assert response.status_code == 302
    assert ScreeningSession.objects.get().started_by == cast.ana


# --- PEARR ----------------------------------------------------------------------------------

def test_no_questions_are_offered_before_the_privacy_check(cast, client_for, instruments):
    session = actions.start_session(by=cast.alice, person=cast.patient)
    client = client_for(cast.alice)
    page = client.get(session_url(session)).content.decode()
    assert instruments["PHQ9"].title not in page
    assert client.get(ask_url(session, instruments["PHQ9"])).status_code == 404


def test_with_a_companion_sensitive_questions_are_not_offered_and_nothing_says_why(
    cast, client_for, instruments
):
    client = client_for(cast.alice)
    session = actions.start_session(by=cast.alice, person=cast.patient)
    client.post(session_url(session), {"step": "privacy", "alone": "no"})
    client.post(session_url(session), {"step": "confidentiality", "explained": "yes"})
    page = client.get(session_url(session)).content.decode()
    assert instruments["GAD7"].title in page
    assert instruments["RAFTKind"].title not in page and instruments["PHQ9"].title not in page
    for word in ("companion", "not alone", "someone is with"):
        assert word not in page.lower()
    assert client.get(ask_url(session, instruments["RAFTKind"])).status_code == 404


def test_sensitive_questions_need_the_confidentiality_explanation_first(cast, client_for, instruments):
    client = client_for(cast.alice)
    session = actions.start_session(by=cast.alice, person=cast.patient)
    client.post(session_url(session), {"step": "privacy", "alone": "yes"})
    assert client.get(ask_url(session, instruments["RAFTKind"])).status_code == 404
    with pytest.raises(actions.StepError):
        actions.record_response(by=cast.alice, session=session, instrument=instruments["RAFTKind"], raw={})
    response = client.post(session_url(session), {"step": "confidentiality"})
    assert response.status_code == 400 and "explained" in response.content.decode()
    client.post(session_url(session), {"step": "confidentiality", "explained": "yes"})
    assert client.get(ask_url(session, instruments["RAFTKind"])).status_code == 200


def test_confidentiality_cannot_come_before_the_privacy_check(cast, client_for):
    session = actions.start_session(by=cast.alice, person=cast.patient)
    response = client_for(cast.alice).post(session_url(session), {"step": "confidentiality", "explained": "yes"})
    assert response.status_code == 400 and "privacy check first" in response.content.decode()
    session.refresh_from_db()
    assert session.confidentiality_explained_at is None


def test_a_minor_hears_about_mandatory_reporting(cast, client_for):
    minor = make_person(cast.alice, cast.site_a, "Lena", age_band="12-17")
    session = actions.start_session(by=cast.alice, person=minor)
    actions.record_privacy(by=cast.alice, session=session, alone=True)
    page = client_for(cast.alice).get(session_url(session)).content.decode()
    assert "under 18" in page and "report" in page
    adult = actions.start_session(by=cast.alice, person=cast.patient)
    actions.record_privacy(by=cast.alice, session=adult, alone=True)
    assert "will not tell the police" in client_for(cast.alice).get(session_url(adult)).content.decode()


def test_universal_education_is_recorded(cast, client_for, private_session):
    client_for(cast.alice).post(session_url(private_session), {"step": "education", "accepted": "no"})
    private_session.refresh_from_db()
    assert private_session.education_offered_at and private_session.education_accepted is False


def test_bad_step_input_gets_a_clear_message(cast, client_for, private_session):
    client = client_for(cast.alice)
    for data in [{"step": "privacy", "alone": "maybe"}, {"step": "warp"}, {"step": "close", "outcome": "x"}]:
        response = client.post(session_url(private_session), data)
        assert response.status_code == 400
        assert 'class="message error"' in response.content.decode()


@pytest.mark.parametrize("outcome,status", [("declined", "cancelled"), ("deferred", "on-hold")])
def test_declining_or_deferring_is_recorded_and_offered_again_next_visit(
    cast, client_for, private_session, outcome, status
):
    client = client_for(cast.alice)
    response = client.post(session_url(private_session), {"step": "close", "outcome": outcome})
    assert response.status_code == 302
    private_session.refresh_from_db()
    assert private_session.status == status
    assert AuditEvent.objects.filter(action=f"screening.session.{outcome}").exists()
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Offer them again" in chart
    assert "refused" not in chart.lower()
    counts = queries.screen_counts()
    assert counts["_sessions"][outcome] == 1


# --- questions and scores -----------------------------------------------------------------------

def test_the_full_phq9_path_ends_in_a_valid_fhir_observation(cast, client_for, instruments, private_session):
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from safehaven.fhir.resources.screening import observation_to_fhir, response_to_fhir

    phq9 = instruments["PHQ9"]
    answers = phq9_answers(phq9, [2, 2, 1, 1, 1, 1, 1, 1, 0])
    response = client_for(cast.alice).post(ask_url(private_session, phq9), form_data(phq9, answers))
    assert response.status_code == 302
    result = ScoredResult.objects.get(code="44261-6")
    assert result.value == 10 and result.positive and result.interpretation.startswith("Moderate")
    observation = observation_to_fhir(result)
    Observation.model_validate(observation)
    assert observation["valueQuantity"]["value"] == 10
    QuestionnaireResponse.model_validate(response_to_fhir(result.response))
    task = ResponseTask.objects.get()
    assert task.reason == "positive_screen"
    history = queries.score_history([cast.patient.pk], ["44261-6"])
    assert history == [{"person_id": cast.patient.pk, "code": "44261-6", "value": result.value,
                        "effective_at": result.effective_at}]


def test_phq9_item_9_opens_a_same_visit_safety_task(cast, client_for, instruments, private_session):
    phq9 = instruments["PHQ9"]
    answers = phq9_answers(phq9, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    client_for(cast.alice).post(ask_url(private_session, phq9), form_data(phq9, answers))
    task = ResponseTask.objects.get()
    assert task.reason == "safety" and task.priority == "stat"
    page = client_for(cast.alice).get(session_url(private_session)).content.decode()
    assert "Same-visit safety response" in page


def test_every_question_can_be_skipped_or_answered_prefer_not_to_say(cast, client_for, instruments, private_session):
    phq9 = instruments["PHQ9"]
    data = form_data(phq9, {"/44250-9": "1", "/44260-8": "__prefer_not__"})
    assert client_for(cast.alice).post(ask_url(private_session, phq9), data).status_code == 302
    saved = json.loads(ScreeningResponse.objects.get().answers)
    declined = [i for i in saved["item"] if i.get("extension")]
    assert [i["linkId"] for i in declined] == ["/44260-8"]
    # One of nine answered: too few for a PHQ-9 total, so none (never a 1 or a 0).
    result = ScoredResult.objects.get()
    assert result.value is None and result.data_absent_reason == "unknown" and not result.positive
    assert ScreeningResponse.objects.get().outcome == "incomplete"
    assert not ResponseTask.objects.exists()


def test_bad_answers_are_refused_and_kept_on_the_page(cast, client_for, instruments, private_session):
    phq9 = instruments["PHQ9"]
    response = client_for(cast.alice).post(ask_url(private_session, phq9), {"a0": "9", "a1": "2"})
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert not ScreeningResponse.objects.exists()


def test_a_disclosure_opens_a_response_task(cast, client_for, private_session):
    response = client_for(cast.alice).post(session_url(private_session), {"step": "disclosure"})
    task = ResponseTask.objects.get()
    assert response["Location"] == reverse("screening:task", args=[task.public_id])
    assert task.reason == "disclosure"
    assert not MandatoryReport.objects.exists()  # an adult: no report


def test_the_follow_up_records_resources_and_the_persons_choices(cast, client_for, private_session):
    task = actions.record_disclosure(by=cast.alice, person=cast.patient, session=private_session)
    url = reverse("screening:task", args=[task.public_id])
    client = client_for(cast.ana)
    hostile = "<script>alert(1)</script>\x07 ' OR 1=1 -- \u202e"
    response = client.post(url, {"form": "task", "status": "completed",
                                 "resources_offered": "Housing line " + hostile, "choices": "Wants to think"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "completed" and "\x07" not in task.resources_offered
    page = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in page and "Wants to think" in page
    assert client.post(url, {"form": "task", "status": "bogus"}).status_code == 400
    assert client_for(cast.carol).get(url).status_code == 404


# --- documentation as a shared decision -----------------------------------------------------------

def test_a_concern_is_recorded_only_after_deciding_with_the_person(cast, client_for, private_session):
    task = actions.record_disclosure(by=cast.alice, person=cast.patient, session=private_session)
    url = reverse("screening:task", args=[task.public_id])
    client = client_for(cast.alice)
    response = client.post(url, {"form": "concern", "code": "T76.51XA", "in_record": "on"})
    assert response.status_code == 400 and "Decide with the person" in response.content.decode()
    assert not HealthConcern.objects.exists()
    client.post(url, {"form": "concern", "code": "T76.51XA", "decided_with_person": "on",
                      "on_printouts": "on"})
    concern = HealthConcern.objects.get()
    assert concern.code == "" and not concern.in_record and not concern.on_printouts


def test_concerns_for_channel_shows_only_what_the_person_allowed(cast):
    kept = actions.record_health_concern(by=cast.alice, person=cast.patient, code="T76.51XA",
                                         decided_with_person=True, in_record=True, on_portal=True)
    printable = actions.record_health_concern(by=cast.alice, person=cast.patient, code="Z91.42",
                                              decided_with_person=True, in_record=True,
                                              on_printouts=True, on_exports=True)
    actions.record_health_concern(by=cast.alice, person=cast.patient, code="T74.51XA",
                                  decided_with_person=True, in_record=False, on_claims=True)
    assert {c.pk for c in queries.concerns_for_channel(cast.patient, "record")} == {kept.pk, printable.pk}
    assert queries.concerns_for_channel(cast.patient, "printout") == [printable]
    assert queries.concerns_for_channel(cast.patient, "portal") == [kept]
    assert queries.concerns_for_channel(cast.patient, "claims") == []
    assert queries.concerns_for_channel(cast.patient, "export") == [printable]
    assert queries.concerns_for_channel(cast.other_patient, "record") == []
    with pytest.raises(ValueError):
        queries.concerns_for_channel(cast.patient, "fax")


def test_the_printed_visit_summary_keeps_labelled_concerns_out_unless_allowed(cast, client_for):
    encounter = people_actions.start_encounter(by=cast.alice, person=cast.patient,
                                               setting="community_clinic", chief_complaint="Cough")
    actions.record_health_concern(by=cast.alice, person=cast.patient, code="T76.51XA",
                                  decided_with_person=True, in_record=True, on_portal=True)
    url = reverse("screening:visit_summary", args=[encounter.public_id])
    client = client_for(cast.alice)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response.context["concerns"] == []
    disclosure = Disclosure.objects.get()
    assert disclosure.channel == "print" and disclosure.categories == ["clinical_summary"]
    allowed = actions.record_health_concern(by=cast.alice, person=cast.patient, code="Z91.42",
                                            decided_with_person=True, in_record=True, on_printouts=True)
    response = client.get(url)
    assert response.context["concerns"] == [allowed]
    assert "trafficking_related" in Disclosure.objects.order_by("-at").first().categories
    assert client_for(cast.carol).get(url).status_code == 404
    assert client_for(cast.fay).get(url).status_code == 403


# --- minors -------------------------------------------------------------------------------------

def test_a_positive_youth_screen_opens_the_mandatory_report(cast, client_for, instruments):
    minor = make_person(cast.alice, cast.site_a, "Lena", date_of_birth=datetime.date.today().replace(year=datetime.date.today().year - 15))
    session = actions.start_session(by=cast.alice, person=minor)
    actions.record_privacy(by=cast.alice, session=session, alone=True)
    actions.record_confidentiality(by=cast.alice, session=session)
    youth = instruments["ChildScreen6"]
    answers = {"/youth1": "true", "/youth2": "true", "/youth3": "false"}
    client = client_for(cast.alice)
    assert client.post(ask_url(session, youth), form_data(youth, answers)).status_code == 302
    report = MandatoryReport.objects.get()
    assert report.jurisdiction == "US-CA" and report.status == "requested"
    assert datetime.timedelta(hours=35) < report.due_by - report.opened_at <= datetime.timedelta(hours=36, minutes=1)
    url = reverse("screening:report", args=[report.public_id])
    response = client.post(url, {"reported": "on"})
    assert response.status_code == 400 and "reference" in response.content.decode()
    client.post(url, {"reported": "on", "reference": "CWS-123", "young_person_told": "on"})
    report.refresh_from_db()
    assert report.status == "completed" and report.young_person_told and report.told_at
    assert report.reporter == cast.alice and report.reference == "CWS-123"
    assert client_for(cast.carol).get(url).status_code == 404


def test_a_disclosure_by_a_minor_opens_the_report_and_an_adult_does_not(cast):
    minor = make_person(cast.alice, cast.site_a, "Lena", age_band="12-17")
    actions.record_disclosure(by=cast.alice, person=minor)
    actions.record_disclosure(by=cast.alice, person=cast.patient)
    assert list(MandatoryReport.objects.values_list("person_id", flat=True)) == [minor.pk]


# --- tablet ---------------------------------------------------------------------------------------

def test_the_tablet_is_neutral_without_staff_navigation_and_in_the_persons_language(
    cast, client_for, instruments, private_session
):
    cast.patient.preferred_language = "es"
    cast.patient.save()
    client = client_for(cast.alice)
    page = client.get(reverse("screening:tablet", args=[private_session.public_id])).content.decode()
    assert 'class="site-header"' not in page and "Sign out" not in page
    assert "quick-exit" in page
    for word in ("traffick", "exploit", "abuse", "RAFT"):
        assert word not in page
    questions = client.get(reverse("screening:tablet_ask",
                                   args=[private_session.public_id, instruments["PHQ9"].public_id]))
    assert 'lang="es"' in questions.content.decode()
    assert "Prefiero no decirlo" in questions.content.decode()


def test_the_tablet_pauses_resumes_and_hands_back_without_showing_answers(
    cast, client_for, instruments, private_session
):
    phq9 = instruments["PHQ9"]
    url = reverse("screening:tablet_ask", args=[private_session.public_id, phq9.public_id])
    client = client_for(cast.alice)
    response = client.post(url, {"a0": "2", "pause": "1"})
    assert response["Location"] == reverse("screening:handback", args=[private_session.public_id])
    handback = client.get(response["Location"]).content.decode()
    assert "hand the tablet back" in handback and "Several days" not in handback
    saved = ScreeningResponse.objects.get()
    assert saved.status == "in-progress" and not ScoredResult.objects.exists()
    resumed = client.get(url).content.decode()
    assert 'name="a0" value="2" checked' in resumed
    client.post(url, {"a0": "2", "a1": "1", **{f"a{i}": "0" for i in range(2, 9)}})
    saved.refresh_from_db()
    assert saved.status == "completed" and saved.source == "self"
    assert ScoredResult.objects.get().value == 3


# --- cues panel -----------------------------------------------------------------------------------

def test_the_cue_panel_prompts_an_offer_never_a_label(cast, client_for):
    for complaint in ("STI check", "Discharge and pain", "Bruised arm"):
        people_actions.start_encounter(by=cast.alice, person=cast.patient,
                                       setting="community_clinic", chief_complaint=complaint)
    client = client_for(cast.alice)
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "Several visits in the last 90 days" in chart
    assert "Repeated visits for STI symptoms" in chart
    assert "offering a private conversation" in chart
    assert "victim" not in chart.lower() and "traffick" not in chart.lower()
    response = client.post(reverse("screening:cues", args=[cast.patient.public_id]),
                           {"cues": ["companion", "controls_money"], "offered": "private_conversation"})
    assert response.status_code == 302
    assert client.post(reverse("screening:cues", args=[cast.patient.public_id]),
                       {"cues": ["nonsense"]}).status_code == 302
    assert client_for(cast.fay).get(reverse("people:chart", args=[cast.patient.public_id])).content.decode().count("Noticing and asking") == 0


def test_the_cue_panel_runs_a_fixed_number_of_queries(cast, client_for, instruments):
    from django.test import RequestFactory

    from safehaven.screening.panels import screening_panel

    def count():
        request = RequestFactory().get("/")
        request.user = cast.alice
        with CaptureQueriesContext(connection) as ctx:
            screening_panel(request, cast.patient)
        return len(ctx.captured_queries)

    small = count()
    for _ in range(5):
        people_actions.start_encounter(by=cast.alice, person=cast.patient, setting="community_clinic",
                                       chief_complaint="Injury")
        session = actions.start_session(by=cast.alice, person=cast.patient)
        actions.record_privacy(by=cast.alice, session=session, alone=True)
        actions.record_response(by=cast.alice, session=session, instrument=instruments["GAD7"],
                                raw={"/69725-0": "3", "/68509-9": "3", "/69733-4": "3", "/69734-2": "3"})
        actions.record_disclosure(by=cast.alice, person=cast.patient, session=session)
    cast.alice.__dict__.pop("_site_perm_cache", None)
    assert count() == small


# --- instruments page -----------------------------------------------------------------------------

def test_administrators_import_instruments_and_see_wording_status(cast, client_for, instruments):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("screening:instruments")
    client = client_for(cast.erin)
    page = client.get(url).content.decode()
    assert "wording verified: no" in page and "wording verified: yes" in page
    bad = SimpleUploadedFile("bad.json", b'{"resourceType": "Questionnaire",\n "item": [}')
    response = client.post(url, {"files": bad})
    assert response.status_code == 400 and "line 2" in response.content.decode()
    assert client_for(cast.alice).get(url).status_code == 403
    assert client.post(url, {}).status_code == 400


def test_screen_counts_give_aggregates_for_evaluation(cast, instruments, private_session):
    phq9 = instruments["PHQ9"]
    actions.record_response(by=cast.alice, session=private_session, instrument=phq9,
                            raw=phq9_answers(phq9, [3, 3, 3, 3, 0, 0, 0, 0, 0]))
    actions.record_response(by=cast.alice, session=private_session, instrument=instruments["GAD7"], raw={})
    actions.close_session(by=cast.alice, session=private_session, outcome="completed")
    counts = queries.screen_counts(site_ids=[cast.site_a.pk])
    assert counts["PHQ9"] == {"offered": 1, "completed": 1, "incomplete": 0, "declined": 0, "deferred": 0,
                              "positive": 1}
    # Nothing answered: declined, not a completed screen that scored 0.
    assert counts["GAD7"] == {"offered": 1, "completed": 0, "incomplete": 0, "declined": 1, "deferred": 0,
                              "positive": 0}
    assert counts["_sessions"]["completed"] == 1 and counts["_sessions"]["positive"] == 1
    assert queries.screen_counts(site_ids=[cast.site_b.pk])["_sessions"]["offered"] == 0


def test_the_cue_form_on_the_chart_posts_what_the_form_checks(cast, client_for):
    """The chart writes the cue form out by hand (it is on every chart view); its fields must be
    exactly the ones CueForm validates, each with a label, grouped under a legend."""
    import re

    from safehaven.screening.forms import CueForm
    from safehaven.screening.models import CueObservation

    client = client_for(cast.alice)
    chart = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    action = reverse("screening:cues", args=[cast.patient.public_id])
    form = chart[chart.index(f'action="{action}"'):]
    form = form[:form.index("</form>")]
    names = set(re.findall(r'name="([a-z_]+)"', form)) - {"csrfmiddlewaretoken"}
    assert names == set(CueForm.base_fields)
    boxes = re.findall(r'name="cues" value="([a-z_]+)" id="([a-z_-]+)"', form)
    assert [value for value, _id in boxes] == [code for code, _label in CueForm.base_fields["cues"].choices]
    radios = re.findall(r'name="offered" value="[a-z_]+" id="([a-z_-]+)"', form)
    assert all(f'for="{element_id}"' in form for element_id in [i for _v, i in boxes] + radios)
    assert form.count("<legend>") == 2 and 'for="cue-note"' in form
    offered = re.findall(r'name="offered" value="([a-z_]+)"', form)
    assert offered == [code for code, _label in CueObservation.OFFERS]
    response = client.post(action, {"cues": [boxes[0][0]], "offered": offered[0], "note": "x"})
    assert response.status_code == 302
    assert CueObservation.objects.filter(person=cast.patient).count() == 1
