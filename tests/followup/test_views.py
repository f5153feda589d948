"""Follow-up pages: who can see what, bad input, the panel, the day view, query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safehaven.followup import actions
from safehaven.followup.models import (
    Appointment,
    DueItem,
    OutreachTask,
    ProtocolStep,
    Reminder,
    ReminderTemplate,
)
from safehaven.people import actions as people_actions
from safehaven.testing.factories import make_person
from safehaven.testing.forms import read_form

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def enrol(cast, person=None, days_ago=100):
    return actions.record_event(by=cast.alice, person=person or cast.patient, kind="sti_treated",
                                occurred_on=TODAY - datetime.timedelta(days=days_ago))


def tomorrow_at(hour):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)


# --- login, roles, teams -----------------------------------------------------------------

PAGES = ["followup:worklist", "followup:day", "followup:outreach", "followup:protocols",
         "followup:templates", "followup:outcomes"]


def test_every_page_requires_login(cast, client):
    person_pages = ["followup:book", "followup:reminder", "followup:person_outcomes"]
    urls = [reverse(n) for n in PAGES] + [reverse(n, args=[cast.patient.public_id]) for n in person_pages]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_roles_that_can_never_do_it_get_403(cast, client_for):
    forbidden = {
        cast.eve: ["followup:worklist", "followup:day", "followup:outreach", "followup:protocols"],
        cast.fay: ["followup:worklist", "followup:day", "followup:outreach", "followup:templates",
                   "followup:outcomes"],
        cast.alice: ["followup:protocols", "followup:templates", "followup:outcomes"],
        cast.erin: ["followup:worklist", "followup:day"],
    }
    for user, names in forbidden.items():
        client = client_for(user)
        for name in names:
            assert client.get(reverse(name)).status_code == 403, (user, name)
    assert client_for(cast.fay).get(reverse("followup:book", args=[cast.patient.public_id])).status_code == 403


def test_person_pages_are_404_for_another_team_and_another_site(cast, client_for):
    for name in ["followup:book", "followup:reminder", "followup:person_outcomes"]:
        url = reverse(name, args=[cast.patient.public_id])
        assert client_for(cast.carol).get(url).status_code == 404
        assert client_for(cast.dan).get(url).status_code == 404
        assert client_for(cast.alice).get(reverse(name, args=["not-a-uuid"])).status_code == 404


def test_due_items_and_visits_of_another_team_are_404(cast, client_for):
    _e, items = enrol(cast)
    visit = actions.book_appointment(by=cast.alice, person=cast.patient, clinician=cast.alice, starts_at=tomorrow_at(10))
    for user in (cast.carol, cast.dan):
        client = client_for(user)
        assert client.post(reverse("followup:due", args=[items[0].public_id]), {"action": "complete"}).status_code == 404
        assert client.post(reverse("followup:appointment_status", args=[visit.public_id]), {"status": "noshow"}).status_code == 404
    assert DueItem.objects.get(pk=items[0].pk).status == "requested"
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


# --- worklist and chart panel --------------------------------------------------------

def test_the_worklist_shows_overdue_care_for_my_people_only(cast, client_for):
    enrol(cast, days_ago=200)
    enrol(cast, cast.other_patient, days_ago=200)
    page = client_for(cast.alice).get(reverse("followup:worklist"), {"show": "overdue"}).content.decode()
    assert "STI retest" in page and "Rosa" in page and "Overdue" in page and "Iris" not in page
    assert "Rosa" not in client_for(cast.carol).get(reverse("followup:worklist")).content.decode()


def add_people(cast, n, first=0):
    for i in range(first, first + n):
        person = make_person(cast.alice, cast.site_a, f"Person {i}")
        enrol(cast, person)
        actions.book_appointment(by=cast.alice, person=person, clinician=cast.alice,
                                 starts_at=tomorrow_at(8) + datetime.timedelta(minutes=40 * i))


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_worklist_and_day_view_run_a_fixed_number_of_queries(cast, client_for):
    client = client_for(cast.alice)
    day_url = reverse("followup:day") + "?date=" + (TODAY + datetime.timedelta(days=1)).isoformat()
    add_people(cast, 2)
    small = (count_queries(client, reverse("followup:worklist")), count_queries(client, day_url))
    add_people(cast, 8, first=2)
    large = (count_queries(client, reverse("followup:worklist")), count_queries(client, day_url))
    assert small == large


def test_the_chart_panel_runs_a_fixed_number_of_queries(cast, client_for):
    from django.test import RequestFactory

    from safehaven.followup.panels import followup_panel

    request = RequestFactory().get("/")

    def panel_queries():
        request.user = type(cast.alice).objects.get(pk=cast.alice.pk)
        with CaptureQueriesContext(connection) as ctx:
            followup_panel(request, cast.patient)
        return len(ctx)

    enrol(cast)
    small = panel_queries()
    for _ in range(6):
        enrol(cast)
    assert panel_queries() == small


def test_the_chart_shows_due_care_and_can_record_an_event(cast, client_for):
    client = client_for(cast.alice)
    response = client.post(reverse("followup:event", args=[cast.patient.public_id]),
                           {"kind": "exposure", "occurred_on": TODAY.isoformat()})
    assert response.status_code == 302
    page = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "HIV test (6 weeks)" in page and "Follow-up care" in page
    assert re.search(r"Recorded\. (1 follow-up item is|[02-9]\d* follow-up items are) scheduled\.", page)


def test_the_recorded_message_counts_its_items_in_each_language():
    from django.utils import translation
    from django.utils.translation import ngettext

    for language, one, many in (("en", "1 follow-up item is", "3 follow-up items are"),
                                ("es", "Se programó 1 elemento", "Se programaron 3 elementos"),
                                ("fr", "1 élément de suivi est", "3 éléments de suivi sont")):
        with translation.override(language):
            for n, expected in ((1, one), (3, many)):
                text = ngettext("Recorded. %(count)s follow-up item is scheduled.",
                                "Recorded. %(count)s follow-up items are scheduled.", n) % {"count": n}
                assert expected in text, (language, n, text)


def test_the_event_form_on_the_chart_posts_what_the_view_reads(cast, client_for):
    # The chart writes this form out by hand; it once posted "event-kind" and
    # "event-occurred_on", which the view never reads, so every event from the chart failed.
    client = client_for(cast.alice)
    url = reverse("followup:event", args=[cast.patient.public_id])
    page = client.get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    form = read_form(page, url)
    assert "exposure" in form["options"]["kind"] and "occurred_on" in form["fields"]
    data = {name: values[0] for name, values in form["fields"].items()}
    data.update(kind="exposure", occurred_on=TODAY.isoformat())
    response = client.post(url, data)
    assert response.status_code == 302
    assert DueItem.objects.filter(person=cast.patient, label="HIV test (6 weeks)").exists()


def test_the_panel_is_hidden_from_roles_without_clinical_access(cast, client_for):
    enrol(cast)
    page = client_for(cast.fay).get(reverse("people:chart", args=[cast.patient.public_id])).content.decode()
    assert "STI retest" not in page


def test_bad_event_input_gets_a_clear_message_and_writes_nothing(cast, client_for):
    client = client_for(cast.alice)
    url = reverse("followup:event", args=[cast.patient.public_id])
    for data in [{"kind": "nonsense", "occurred_on": TODAY.isoformat()},
                 {"kind": "exposure", "occurred_on": "2999-01-01"},
                 {"kind": "exposure", "occurred_on": "<script>"}]:
        response = client.post(url, data)
        assert response.status_code == 400 and "Please check" in response.content.decode()
    assert not DueItem.objects.exists()


def test_completing_due_care_from_the_chart(cast, client_for):
    _e, items = enrol(cast)
    client = client_for(cast.alice)
    url = reverse("followup:due", args=[items[0].public_id])
    assert client.post(url, {"action": "complete"}).status_code == 302
    assert DueItem.objects.get(pk=items[0].pk).status == "completed"
    again = client.post(url, {"action": "complete"})
    assert again.status_code == 400 and "no longer due" in again.content.decode()
    assert client.post(url, {"action": "explode"}).status_code == 400


# --- appointments ---------------------------------------------------------------------

def book_url(cast):
    return reverse("followup:book", args=[cast.patient.public_id])


def booking(cast, user, **extra):
    data = {"clinician": str(user.public_id), "starts_at": tomorrow_at(10).strftime("%Y-%m-%dT%H:%M"),
            "minutes": "30", "room": "2"}
    data.update(extra)
    return data


def test_a_clinician_of_the_other_gender_is_refused_unless_the_person_chose_them(cast, client_for):
    people_actions.update_person(by=cast.alice, person=cast.patient, version=cast.patient.version,
                                 clinician_gender_preference="woman")
    client = client_for(cast.alice)
    refused = client.post(book_url(cast), booking(cast, cast.bob))
    assert refused.status_code == 400 and "prefer to be seen by a woman" in refused.content.decode()
    assert not Appointment.objects.exists()
    assert client.post(book_url(cast), booking(cast, cast.alice)).status_code == 302
    chosen = client.post(book_url(cast), booking(cast, cast.bob, starts_at=tomorrow_at(14).strftime("%Y-%m-%dT%H:%M"),
                                                 preference_note="She asked for Bob, who she knows."))
    assert chosen.status_code == 302
    assert Appointment.objects.get(clinician=cast.bob).preference_note.startswith("She asked")


def test_an_interpreter_need_must_be_met(cast, client_for):
    people_actions.update_person(by=cast.alice, person=cast.patient, version=cast.patient.version,
                                 interpreter_needed=True, preferred_language="es")
    client = client_for(cast.alice)
    refused = client.post(book_url(cast), booking(cast, cast.alice))
    assert refused.status_code == 400 and "interpreter" in refused.content.decode()
    assert client.post(book_url(cast), booking(cast, cast.alice, interpreter_arranged="on")).status_code == 302
    assert Appointment.objects.get().interpreter_language == "es"


def test_booking_refuses_bad_input_and_clashes(cast, client_for):
    client = client_for(cast.alice)
    for data in [booking(cast, cast.alice, starts_at="yesterday"),
                 booking(cast, cast.alice, starts_at="2001-01-01T10:00"),
                 booking(cast, cast.alice, minutes="0"),
                 booking(cast, cast.alice, clinician="not-a-clinician"),
                 {**booking(cast, cast.dan), "clinician": str(cast.dan.public_id)}]:
        response = client.post(book_url(cast), data)
        assert response.status_code == 400
    assert client.post(book_url(cast), booking(cast, cast.alice)).status_code == 302
    clash = client.post(book_url(cast), booking(cast, cast.alice))
    assert clash.status_code == 400 and "already has a visit" in clash.content.decode()


def test_the_day_view_lists_my_visits_and_a_missed_visit_creates_outreach(cast, client_for):
    visit = actions.book_appointment(by=cast.alice, person=cast.patient, clinician=cast.alice,
                                     starts_at=tomorrow_at(10), room="Room 3")
    client = client_for(cast.alice)
    url = reverse("followup:day") + "?date=" + (TODAY + datetime.timedelta(days=1)).isoformat()
    page = client.get(url).content.decode()
    assert "Rosa" in page and "Room 3" in page
    assert "Rosa" not in client_for(cast.bob).get(url).content.decode()
    assert client.get(reverse("followup:day") + "?date=31-31-2020").status_code == 400
    response = client.post(reverse("followup:appointment_status", args=[visit.public_id]),
                           {"status": "noshow", "next": "day"})
    assert response.status_code == 302
    task = OutreachTask.objects.get()
    assert task.assigned_to == cast.ana
    outreach = client_for(cast.ana).get(reverse("followup:outreach")).content.decode()
    assert "Rosa" in outreach
    assert "Rosa" not in client_for(cast.carol).get(reverse("followup:outreach")).content.decode()
    done = client_for(cast.ana).post(reverse("followup:outreach_update", args=[task.public_id]),
                                     {"status": "completed", "note": "Spoke in person at the drop-in."})
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == "completed" and task.note == "Spoke in person at the drop-in."
    assert client_for(cast.ana).post(reverse("followup:outreach_update", args=[task.public_id]),
                                     {"status": "bogus"}).status_code == 400


# --- reminders ----------------------------------------------------------------------

def make_reachable(cast):
    people_actions.update_contact_preferences(
        by=cast.alice, person=cast.patient, do_not_contact=False, channels=["sms"],
        phone="+1 555 0100", code_word="Sunflower",
    )


def test_the_reminder_preview_shows_exactly_what_the_phone_shows(cast, client_for):
    make_reachable(cast)
    page = client_for(cast.ana).get(reverse("followup:reminder", args=[cast.patient.public_id]),
                                    {"kind": "due_care", "channel": "sms"}).content.decode()
    assert "What their phone or inbox will show" in page
    assert "Sunflower — Hello, this is Appointment reminder." in page
    assert "Harbor" not in page.split("What their phone")[1].split("</figure>")[0]


def test_the_reminder_page_refuses_under_do_not_contact(cast, client_for):
    client = client_for(cast.ana)
    url = reverse("followup:reminder", args=[cast.patient.public_id])
    page = client.get(url, {"kind": "due_care", "channel": "sms"}).content.decode()
    assert "They asked not to be contacted." in page
    response = client.post(url, {"kind": "due_care", "channel": "sms"})
    assert response.status_code == 400 and not Reminder.objects.exists()


def test_scheduling_a_reminder_from_the_page(cast, client_for):
    make_reachable(cast)
    client = client_for(cast.ana)
    url = reverse("followup:reminder", args=[cast.patient.public_id])
    assert client.post(url, {"kind": "due_care", "channel": "sms"}).status_code == 302
    reminder = Reminder.objects.get()
    assert reminder.channel == "sms" and reminder.created_by == cast.ana
    bad = client.post(url, {"kind": "appointment", "channel": "carrier-pigeon"})
    assert bad.status_code == 400 and Reminder.objects.count() == 1


# --- protocols and templates ---------------------------------------------------------

def test_an_administrator_edits_a_protocol_step(cast, client_for):
    client = client_for(cast.erin)
    page = client.get(reverse("followup:protocols")).content.decode()
    assert "STI retest" in page and "Clinic choice" in page
    step = ProtocolStep.objects.get(protocol__site=cast.site_a, label="STI retest")
    url = reverse("followup:step", args=[step.public_id])
    data = {"label": "STI retest", "offset_days": "84", "grace_days": "30", "source": "CDC",
            "clinic_choice": "on", "active": "on"}
    assert client.post(url, data).status_code == 302
    step.refresh_from_db()
    assert step.offset_days == 84 and step.clinic_choice
    bad = client.post(url, {**data, "offset_days": "-3", "min_age": "40", "max_age": "20"})
    assert bad.status_code == 400
    step.refresh_from_db()
    assert step.offset_days == 84


def test_a_step_of_another_clinic_is_404(cast, client_for):
    from safehaven.followup.protocols import ensure_default_protocols

    ensure_default_protocols(cast.site_b)
    step = ProtocolStep.objects.filter(protocol__site=cast.site_b).first()
    assert client_for(cast.erin).get(reverse("followup:step", args=[step.public_id])).status_code == 404


def test_an_administrator_edits_the_wording_and_sees_the_preview(cast, client_for):
    client = client_for(cast.erin)
    url = reverse("followup:templates")
    page = client.get(url, {"kind": "appointment", "language": "fr"}).content.decode()
    assert "rendez-vous" in page and "Sunflower" in page
    saved = client.post(url, {"kind": "due_care", "language": "es", "subject": "Hola",
                              "body": "{code_word}Hola de {sender}. Llámenos."})
    assert saved.status_code == 302
    assert ReminderTemplate.objects.get(language="es").body.startswith("{code_word}Hola")
    refused = client.post(url, {"kind": "due_care", "language": "en", "subject": "Hi",
                                "body": "Your HIV results from {clinic_name}"})
    assert refused.status_code == 400 and "someone else may see" in refused.content.decode()
    assert client.get(url, {"kind": "bogus"}).status_code == 400


def test_clinic_outcomes_show_only_aggregate_figures(cast, client_for):
    page = client_for(cast.eve).get(reverse("followup:outcomes")).content.decode()
    assert "Still in care" in page and "Rosa" not in page


def test_person_outcomes_page_without_scores(cast, client_for):
    page = client_for(cast.alice).get(reverse("followup:person_outcomes", args=[cast.patient.public_id]))
    assert page.status_code == 200 and "No questionnaire scores yet." in page.content.decode()
