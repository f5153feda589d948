"""Worklist, chart, registration, encounters, notes: who can see what, and bad input."""

import pytest
from django.urls import reverse

from safehaven.audit.models import AuditEvent
from safehaven.people.models import CareTeamMember, Encounter, Note, Person

pytestmark = pytest.mark.django_db


def chart_url(person):
    return reverse("people:chart", args=[person.public_id])


# --- worklist -------------------------------------------------------------------------

def test_worklist_lists_only_my_care_teams(cast, client_for):
    page = client_for(cast.alice).get(reverse("people:worklist")).content.decode()
    assert "Rosa" in page and "Iris" not in page
    other = client_for(cast.carol).get(reverse("people:worklist")).content.decode()
    assert "Rosa" not in other


def test_worklist_refuses_roles_without_patient_access(cast, client_for):
    for user in (cast.eve, cast.erin, cast.tom):
        assert client_for(user).get(reverse("people:worklist")).status_code == 403


def test_worklist_search_handles_hostile_text(cast, client_for):
    client = client_for(cast.alice)
    for q in ["' OR 1=1 --", "<script>alert(1)</script>", "%", "\u202eRosa", "x" * 500]:
        response = client.get(reverse("people:worklist"), {"q": q})
        assert response.status_code == 200
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_worklist_pages_are_not_cached_by_the_browser(cast, client_for):
    response = client_for(cast.alice).get(reverse("people:worklist"))
    assert "no-store" in response["Cache-Control"]


# --- chart ----------------------------------------------------------------------------

def test_chart_shows_chief_complaint_and_safety_first(cast, client_for):
    from safehaven.people import actions

    actions.start_encounter(by=cast.alice, person=cast.patient, setting="community_clinic",
                            chief_complaint="Headaches for two weeks")
    page = client_for(cast.alice).get(chart_url(cast.patient)).content.decode()
    assert page.index("Headaches for two weeks") < page.index("Safety") < page.index("Care team")


def test_chart_is_404_for_another_team_and_another_site(cast, client_for):
    assert client_for(cast.carol).get(chart_url(cast.patient)).status_code == 404
    assert client_for(cast.dan).get(chart_url(cast.patient)).status_code == 404


def test_chart_404_is_the_same_as_for_a_record_that_does_not_exist(cast, client_for):
    client = client_for(cast.carol)
    hidden = client.get(chart_url(cast.patient))
    missing = client.get(reverse("people:chart", args=["00000000-0000-4000-8000-000000000000"]))
    garbage = client.get(reverse("people:chart", args=["not-a-uuid"]))
    assert hidden.status_code == missing.status_code == garbage.status_code == 404
    import re

    def normalise(response):
        text = re.sub(r'nonce="[^"]+"', "", response.content.decode())
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert normalise(hidden) == normalise(missing)


def test_chart_is_403_for_roles_without_patient_access(cast, client_for):
    assert client_for(cast.eve).get(chart_url(cast.patient)).status_code == 403


def test_chart_requires_login(cast, client):
    response = client.get(chart_url(cast.patient))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_legal_name_is_shown_only_on_purpose_and_audited(cast, client_for):
    client = client_for(cast.alice)
    page = client.get(chart_url(cast.patient)).content.decode()
    assert "Rosalind Quintero-Vasquez" not in page
    shown = client.get(chart_url(cast.patient), {"show": "legal_name"}).content.decode()
    assert "Rosalind Quintero-Vasquez" in shown
    assert AuditEvent.objects.filter(action="person.view_legal_name", person_id=str(cast.patient.public_id)).exists()


def test_front_desk_on_the_team_sees_no_clinical_detail(cast, client_for):
    from safehaven.people import actions

    actions.start_encounter(by=cast.alice, person=cast.patient, setting="community_clinic",
                            chief_complaint="Burning when passing urine")
    page = client_for(cast.fay).get(chart_url(cast.patient)).content.decode()
    assert "Rosa" in page and "Burning when passing urine" not in page


# --- registration ----------------------------------------------------------------------

def register_data(**overrides):
    data = {
        "chosen_name": "Paz", "legal_name": "Paz Aurora Medina", "age_band": "18-24",
        "preferred_language": "es", "neutral_sender": "Reminder", "safe_hours_start": "10:00",
        "safe_hours_end": "16:00", "do_not_contact": "on",
    }
    data.update(overrides)
    return data


def test_register_creates_the_person_with_me_on_the_team(cast, client_for):
    response = client_for(cast.fay).post(reverse("people:register"), register_data())
    person = Person.objects.get(chosen_name="Paz")
    assert response.status_code == 302 and response["Location"] == chart_url(person)
    assert CareTeamMember.objects.filter(person=person, user=cast.fay).exists()
    assert person.contact.do_not_contact


def test_register_bad_input_gets_clear_messages_and_keeps_answers(cast, client_for):
    response = client_for(cast.alice).post(
        reverse("people:register"),
        register_data(chosen_name="   ", age_band="", date_of_birth="2999-01-01", legal_name="Keep Me"),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the name they use" in page
    assert "cannot be in the future" in page
    assert "Keep Me" in page
    assert not Person.objects.filter(legal_name="Keep Me").exists()


def test_register_rejects_an_impossible_date(cast, client_for):
    response = client_for(cast.alice).post(reverse("people:register"), register_data(date_of_birth="2021-02-30"))
    assert response.status_code == 400 and "valid date" in response.content.decode()


def test_register_warns_of_a_duplicate_without_showing_other_teams_records(cast, client_for):
    data = register_data(chosen_name="Rosa", legal_name="Rosalind Quintero-Vasquez",
                         date_of_birth="1996-04-02", age_band="")
    response = client_for(cast.carol).post(reverse("people:register"), data)
    page = response.content.decode()
    assert "may already be registered" in page
    assert "possible match is on another care team" in page
    assert str(cast.patient.public_id) not in page
    assert Person.objects.filter(chosen_name="Rosa").count() == 1
    confirmed = client_for(cast.carol).post(reverse("people:register"), {**data, "confirm_new": "yes"})
    assert confirmed.status_code == 302
    assert Person.objects.filter(chosen_name="Rosa").count() == 2


def test_register_does_not_reveal_people_at_other_clinics(cast, client_for):
    data = register_data(chosen_name="Iris", legal_name="Iris Okonkwo-Delacroix", age_band="25-34")
    page = client_for(cast.alice).post(reverse("people:register"), data).content.decode()
    assert "may already be registered" not in page


def test_register_strips_control_characters_and_escapes_markup(cast, client_for):
    client_for(cast.alice).post(
        reverse("people:register"), register_data(chosen_name="<b>Lu\x07z</b>\u202e")
    )
    person = Person.objects.get(chosen_name__startswith="<b>")
    assert "\x07" not in person.chosen_name
    page = client_for(cast.alice).get(chart_url(person)).content.decode()
    assert "<b>Luz</b>" not in page and "&lt;b&gt;Luz&lt;/b&gt;" in page


def test_register_is_refused_for_the_evaluator(cast, client_for):
    assert client_for(cast.eve).get(reverse("people:register")).status_code == 403


# --- encounters and notes -----------------------------------------------------------------

def test_start_encounter_and_write_a_note(cast, client_for):
    client = client_for(cast.alice)
    response = client.post(reverse("people:start_encounter", args=[cast.patient.public_id]),
                           {"setting": "outreach", "chief_complaint": "Wants STI testing"})
    encounter = Encounter.objects.get(person=cast.patient)
    assert response["Location"] == reverse("people:encounter", args=[encounter.public_id])
    saved = client.post(reverse("people:encounter", args=[encounter.public_id]),
                        {"kind": "progress", "body": "Tested, results in a week."})
    assert saved.status_code == 302
    assert Note.objects.get(encounter=encounter).body == "Tested, results in a week."


def test_start_encounter_needs_a_chief_complaint(cast, client_for):
    response = client_for(cast.alice).post(
        reverse("people:start_encounter", args=[cast.patient.public_id]), {"setting": "outreach", "chief_complaint": " "}
    )
    assert response.status_code == 400 and "Write what brings them in today" in response.content.decode()
    assert not Encounter.objects.exists()


def test_the_chart_encounter_form_posts_what_the_view_reads_and_keeps_input_on_error(cast, client_for):
    from safehaven.testing.forms import read_form

    client = client_for(cast.alice)
    chart = reverse("people:chart", args=[cast.patient.public_id])
    url = reverse("people:start_encounter", args=[cast.patient.public_id])
    form = read_form(client.get(chart).content.decode(), url)
    assert {"chief_complaint", "setting", "form_token"} <= set(form["fields"]) | set(form["options"])
    assert "telehealth" in form["options"]["setting"]
    data = {name: values[0] for name, values in form["fields"].items()}
    # An error comes back on the chart with the person's words and the setting kept.
    bad = client.post(url, {**data, "chief_complaint": "", "setting": "telehealth"})
    assert bad.status_code == 400
    again = read_form(bad.content.decode(), url)
    assert again["fields"]["setting"] == ["telehealth"]
    assert 'aria-describedby="id_chief_complaint_error"' in bad.content.decode()
    kept = client.post(url, {**data, "chief_complaint": "x" * 2001, "setting": "telehealth"})
    assert kept.status_code == 400 and read_form(kept.content.decode(), url)["fields"]["chief_complaint"] == ["x" * 2001]
    assert not Encounter.objects.exists()
    ok = client.post(url, {**data, "chief_complaint": "Wants <b>testing</b>", "setting": "telehealth"})
    assert ok.status_code == 302
    encounter = Encounter.objects.get(person=cast.patient)
    assert (encounter.setting, encounter.chief_complaint) == ("telehealth", "Wants <b>testing</b>")


def test_the_chart_shows_the_newest_encounters_and_the_history_lists_them_all(cast, client_for):
    from safehaven.people import actions, queries
    from safehaven.people.models import Encounter as E

    client = client_for(cast.alice)
    chart = reverse("people:chart", args=[cast.patient.public_id])
    history = reverse("people:encounters", args=[cast.patient.public_id])
    for i in range(queries.CHART_ENCOUNTERS):
        actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint=f"visit {i:03d}")
    page = client.get(chart).content.decode()
    assert "visit 000" in page and f'href="{history}"' not in page  # all of them shown: no link
    total = queries.ENCOUNTER_PAGE + 5
    for i in range(queries.CHART_ENCOUNTERS, total):
        actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint=f"visit {i:03d}")
    newest = list(E.objects.filter(person=cast.patient).order_by("-started_at", "-id"))
    page = client.get(chart).content.decode()
    shown = [e for e in newest if e.chief_complaint in page]
    assert shown == newest[: queries.CHART_ENCOUNTERS] and f'href="{history}"' in page
    first = client.get(history)
    assert first.status_code == 200
    text = first.content.decode()
    listed = [e for e in newest if e.chief_complaint in text]
    assert listed == newest[: queries.ENCOUNTER_PAGE] and "?page=2" in text
    # Newest first on the page, each linked to its encounter.
    positions = [text.index(reverse("people:encounter", args=[e.public_id])) for e in listed]
    assert positions == sorted(positions)
    second = client.get(history + "?page=2").content.decode()
    assert [e for e in newest if e.chief_complaint in second] == newest[queries.ENCOUNTER_PAGE:]
    assert "?page=3" not in second and "?page=1" in second
    assert "No more encounters" in client.get(history + "?page=99").content.decode()
    assert client.get(history + "?page=abc").status_code == 200
    assert AuditEvent.objects.filter(action="encounter.list", person_id=str(cast.patient.public_id)).count() == 4


def test_the_encounter_history_is_for_the_care_team_only(cast, client_for):
    from safehaven.people import actions

    history = reverse("people:encounters", args=[cast.patient.public_id])
    actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="private reason")
    assert client_for(cast.alice).get(history).status_code == 200
    outsider = client_for(cast.carol).get(history)  # a clinician at the site, not on the team
    assert outsider.status_code == 404 and "private reason" not in outsider.content.decode()


def test_empty_note_is_refused_with_a_message(cast, client_for):
    from safehaven.people import actions

    encounter = actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="x")
    response = client_for(cast.alice).post(reverse("people:encounter", args=[encounter.public_id]),
                                           {"kind": "progress", "body": ""})
    assert response.status_code == 400 and "The note is empty" in response.content.decode()


def test_encounter_is_404_outside_the_team_and_403_for_front_desk_writes(cast, client_for):
    from safehaven.people import actions

    encounter = actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="x")
    url = reverse("people:encounter", args=[encounter.public_id])
    assert client_for(cast.carol).get(url).status_code == 404
    assert client_for(cast.dan).get(url).status_code == 404
    assert client_for(cast.fay).get(url).status_code == 403
    assert client_for(cast.fay).post(url, {"kind": "progress", "body": "x"}).status_code == 403
    assert client_for(cast.fay).post(
        reverse("people:start_encounter", args=[cast.patient.public_id]),
        {"setting": "outreach", "chief_complaint": "x"},
    ).status_code == 403


def test_care_team_changes_grant_and_remove_access(cast, client_for):
    url = reverse("people:care_team", args=[cast.patient.public_id])
    client_for(cast.alice).post(url, {"username": "carol"})
    assert client_for(cast.carol).get(chart_url(cast.patient)).status_code == 200
    client_for(cast.alice).post(url, {"username": "carol", "remove": "1"})
    assert client_for(cast.carol).get(chart_url(cast.patient)).status_code == 404


def test_care_team_cannot_add_staff_from_another_site(cast, client_for):
    client_for(cast.alice).post(reverse("people:care_team", args=[cast.patient.public_id]), {"username": "dan"})
    assert client_for(cast.dan).get(chart_url(cast.patient)).status_code == 404


def test_person_update_detects_a_lost_update(cast):
    from safehaven.people import actions

    actions.update_person(by=cast.alice, person=cast.patient, version=1, pronouns="she/they")
    stale = Person.objects.get(pk=cast.patient.pk)
    stale.version = 1
    with pytest.raises(actions.ConflictError):
        actions.update_person(by=cast.bob, person=stale, version=1, pronouns="they/them")
    assert Person.objects.get(pk=cast.patient.pk).pronouns == "she/they"


def test_minor_flag_is_derived(cast):
    import datetime

    from safehaven.testing.factories import make_person

    teen = make_person(cast.alice, cast.site_a, "Teo", age_band="12-17")
    assert teen.is_minor
    young = make_person(cast.alice, cast.site_a, "Kai", date_of_birth=datetime.date.today().replace(year=datetime.date.today().year - 16), age_band="")
    assert young.is_minor
    assert not cast.patient.is_minor


def test_register_refuses_null_characters_with_a_message(cast, client_for):
    response = client_for(cast.alice).post(reverse("people:register"), register_data(chosen_name="Lu\x00z"))
    assert response.status_code == 400 and "Null characters are not allowed" in response.content.decode()
    assert not Person.objects.filter(chosen_name__startswith="Lu").exists()


def test_a_null_character_in_a_search_is_refused_plainly(cast, client_for):
    response = client_for(cast.alice).get(reverse("people:worklist"), {"q": "Ro\x00sa"})
    assert response.status_code == 400 and "null character" in response.content.decode()


# --- editing details and contact preferences ---------------------------------------------

def edit_data(person, **overrides):
    data = register_data(chosen_name=person.chosen_name, legal_name=person.legal_name, age_band="25-34",
                         version=str(person.version), time_zone="America/Chicago")
    data.pop("do_not_contact")
    data.update(channels=["sms"], phone="+15550001111")
    data.update(overrides)
    return data


def test_edit_changes_contact_preferences(cast, client_for):
    url = reverse("people:edit", args=[cast.patient.public_id])
    response = client_for(cast.ana).post(url, edit_data(cast.patient, pronouns="they/them"))
    assert response.status_code == 302
    person = Person.objects.get(pk=cast.patient.pk)
    assert person.pronouns == "they/them" and person.version == 2
    assert person.contact.channels == ["sms"] and not person.contact.do_not_contact
    assert person.contact.time_zone == "America/Chicago"
    assert AuditEvent.objects.filter(action="contact.update", person_id=str(person.public_id)).exists()


def test_edit_refuses_a_lost_update_with_a_conflict_message(cast, client_for):
    url = reverse("people:edit", args=[cast.patient.public_id])
    stale = edit_data(cast.patient, pronouns="she/they")
    assert client_for(cast.ana).post(url, edit_data(cast.patient, pronouns="they/them")).status_code == 302
    response = client_for(cast.bob).post(url, stale)
    assert response.status_code == 409
    assert "Someone else saved changes" in response.content.decode()
    assert Person.objects.get(pk=cast.patient.pk).pronouns == "they/them"


def test_edit_bad_time_zone_and_missing_phone_get_messages(cast, client_for):
    url = reverse("people:edit", args=[cast.patient.public_id])
    response = client_for(cast.ana).post(url, edit_data(cast.patient, time_zone="Mars/Olympus", phone=""))
    page = response.content.decode()
    assert response.status_code == 400
    assert "not a time zone we know" in page and "Give a safe number" in page


def test_edit_is_404_outside_the_team_and_403_without_the_role(cast, client_for):
    url = reverse("people:edit", args=[cast.patient.public_id])
    assert client_for(cast.carol).get(url).status_code == 404
    assert client_for(cast.dan).get(url).status_code == 404
    assert client_for(cast.eve).get(url).status_code == 403
    assert client_for(cast.fay).get(url).status_code == 403


# --- double submission -------------------------------------------------------------------

def test_a_registration_submitted_twice_creates_one_person(cast, client_for):
    client = client_for(cast.alice)
    data = register_data(chosen_name="Noor", form_token="6f1c2b0e-9a43-4a57-9a7e-3b1f1c2d0e11")
    first = client.post(reverse("people:register"), data)
    second = client.post(reverse("people:register"), data)
    assert Person.objects.filter(chosen_name="Noor").count() == 1
    assert first["Location"] == second["Location"]


def test_a_note_submitted_twice_is_saved_once(cast, client_for):
    from safehaven.people import actions

    encounter = actions.start_encounter(by=cast.alice, person=cast.patient, setting="outreach", chief_complaint="x")
    client = client_for(cast.alice)
    data = {"kind": "progress", "body": "Only once", "form_token": "0d7e5c4b-1a2b-4c3d-8e9f-0a1b2c3d4e5f"}
    url = reverse("people:encounter", args=[encounter.public_id])
    client.post(url, data)
    client.post(url, data)
    assert Note.objects.filter(encounter=encounter).count() == 1


def test_the_forms_carry_a_one_time_token(cast, client_for):
    page = client_for(cast.alice).get(reverse("people:register")).content.decode()
    assert 'name="form_token"' in page


def test_a_null_character_in_an_api_query_gets_a_json_answer(cast, client_for):
    response = client_for(cast.alice).get(reverse("api:people"), {"q": "Ro\x00sa"})
    assert response.status_code == 400 and "null character" in response.json()["detail"]


# The worklist's rows as the template wrote them before they moved to {% worklist_rows %}.
_ROWS_AS_TEMPLATE = """{% load i18n safehaven_tags %}{% for p in people %}
    <tr>
      <td><a href="{% row_url 'people:chart' p.public_id %}">{{ p.chosen_name }}</a>{% if p.is_minor %} <span class="badge warn">{% translate "Minor" %}</span>{% endif %}</td>
      <td>{{ p.pronouns }}</td>
      <td>{{ p.site.name }}</td>
      <td>{% if p.last_seen %}<time datetime="{{ p.last_seen|date:'c' }}">{{ p.last_seen|date:"SHORT_DATE_FORMAT" }}</time>{% else %}<span class="muted">{% translate "Not yet" %}</span>{% endif %}</td>
    </tr>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_worklist_rows_are_the_html_the_template_wrote(cast, language):
    import datetime as dt

    from django.template import Context, Template
    from django.utils import timezone, translation

    from safehaven.people.templatetags.people_tags import worklist_rows
    from safehaven.testing.factories import make_person

    minor = make_person(cast.alice, cast.site_a, chosen_name="<b>Jo & \"Al\"</b>", age_band="12-17",
                        pronouns="they/them")
    minor.last_seen = None
    adult = Person.objects.get(pk=cast.patient.pk)
    adult.last_seen = timezone.now() - dt.timedelta(days=3)
    people = [minor, adult]
    with translation.override(language):
        expected = Template(_ROWS_AS_TEMPLATE).render(Context({"people": people}))
        got = worklist_rows(people)
    assert " ".join(got.split()) == " ".join(expected.split())
    assert "&lt;b&gt;Jo &amp; &quot;Al&quot;&lt;/b&gt;" in got and "<b>" not in got
    assert got.count('class="badge warn"') == 1 and got.count("<time datetime=") == 1


_ENCOUNTERS_AS_TEMPLATE = """{% load safehaven_tags %}{% for e in encounters %}
  <article class="card">
    <h3><a href="{% row_url 'people:encounter' e.public_id %}">{{ e.started_at|date:"DATETIME_FORMAT" }}</a> · {{ e.get_setting_display }} · {{ e.get_status_display }}</h3>
    <p class="note-body">{{ e.chief_complaint }}</p>
    {% for n in e.chart_notes %}<details><summary>{{ n.get_kind_display }} — {{ n.author.name }}, {{ n.created_at|date:"SHORT_DATETIME_FORMAT" }}</summary><p class="note-body">{{ n.body }}</p></details>{% endfor %}
  </article>
  {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_chart_encounters_are_the_html_the_template_wrote(cast, language):
    from django.template import Context, Template
    from django.utils import translation

    from safehaven.people import queries
    from safehaven.people.actions import start_encounter, write_note
    from safehaven.people.templatetags.people_tags import chart_encounters

    first = start_encounter(by=cast.alice, person=cast.patient, setting="clinic", chief_complaint="<i>cough</i> & fever")
    start_encounter(by=cast.alice, person=cast.patient, setting="clinic", chief_complaint="follow-up")
    write_note(by=cast.alice, encounter=first, kind="progress", body='said "no" to <script>x</script>')
    encounters = queries.chart(Person.objects.get(pk=cast.patient.pk))["encounters"]
    with translation.override(language):
        expected = Template(_ENCOUNTERS_AS_TEMPLATE).render(Context({"encounters": encounters}))
        got = chart_encounters(encounters)
    assert " ".join(got.split()) == " ".join(expected.split())
    assert "&lt;script&gt;" in got and "<script>" not in got and got.count("<article") == len(encounters) == 2


def test_the_worklist_neither_reads_nor_decrypts_the_legal_name_or_safety_note(cast, client_for, monkeypatch):
    from safehaven.lib import crypto
    from safehaven.people import queries

    Person.objects.filter(pk=cast.patient.pk).update(date_of_birth=None)
    person = Person.objects.get(pk=cast.patient.pk)
    person.legal_name, person.safety_note = "Legal Name", "Sensitive note"
    person.save()
    contexts = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value, context: contexts.append(context) or real(value, context=context))
    people, _more = queries.worklist(cast.alice)
    assert cast.patient.pk in [p.pk for p in people]
    assert not any("legal_name" in c or "safety_note" in c for c in contexts)
    assert {"legal_name", "safety_note"} <= people[0].get_deferred_fields()
    page = client_for(cast.alice).get(reverse("people:worklist")).content.decode()
    assert cast.patient.chosen_name in page and "Legal Name" not in page
