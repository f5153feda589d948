"""Care plan: goals in their words, steps, lifecycle, concurrency, harm reduction, printing."""

import pytest
from django.db import connection
from django.utils import timezone

from safehaven.careplans import actions
from safehaven.careplans.models import CarePlan, Goal, Step
from safehaven.careplans.printing import printable_html
from safehaven.consent.models import Disclosure
from tests.careplans.helpers import plan_with_goal, url

pytestmark = pytest.mark.django_db


def test_a_goal_keeps_the_persons_own_words_encrypted(cast):
    plan, goal = plan_with_goal(cast, text="Get my ID card back before winter")
    assert Goal.objects.get(pk=goal.pk).description == "Get my ID card back before winter"
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM careplans_goal")
        assert "ID card" not in cursor.fetchone()[0]
    assert [d.code for d in goal.domains.all()] == ["communication"]


def test_a_goal_moves_through_its_fhir_lifecycle(cast):
    plan, goal = plan_with_goal(cast)
    for status in ("on-hold", "active", "completed"):
        actions.set_goal_status(by=cast.ana, goal=goal, version=plan.version, status=status)
        plan.refresh_from_db()
    assert Goal.objects.get(pk=goal.pk).lifecycle_status == "completed"


def test_a_goal_refuses_a_move_that_makes_no_sense(cast):
    plan, goal = plan_with_goal(cast)
    with pytest.raises(ValueError):
        actions.set_goal_status(by=cast.ana, goal=goal, version=plan.version, status="proposed")
    actions.set_goal_status(by=cast.ana, goal=goal, version=plan.version, status="entered-in-error")
    plan.refresh_from_db()
    with pytest.raises(ValueError):
        actions.set_goal_status(by=cast.ana, goal=goal, version=plan.version, status="active")


def test_a_step_is_owned_dated_and_makes_progress(cast, client_for):
    plan, goal = plan_with_goal(cast)
    client = client_for(cast.ana)
    due = (timezone.localdate() + timezone.timedelta(days=5)).isoformat()
    response = client.post(url("add_step", goal), {
        "new-version": plan.version, "new-description": "Call the phone shop together",
        "new-owner_kind": "partner", "new-partner_name": "Harbor Legal Aid", "new-due_date": due,
    })
    assert response.status_code == 302
    step = Step.objects.get(goal=goal)
    assert step.owner_kind == "partner" and step.partner_name == "Harbor Legal Aid"
    assert step.due_date.isoformat() == due and step.status == "requested"
    plan.refresh_from_db()
    response = client.post(url("update_step", step), {"version": plan.version, "status": "in-progress", "progress": 40})
    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.status, step.progress) == ("in-progress", 40)
    plan.refresh_from_db()
    client.post(url("update_step", step), {"version": plan.version, "status": "completed", "progress": 40})
    step.refresh_from_db()
    assert (step.status, step.progress) == ("completed", 100)


def test_a_partner_step_needs_the_partners_name(cast, client_for):
    plan, goal = plan_with_goal(cast)
    response = client_for(cast.ana).post(url("add_step", goal), {
        "new-version": plan.version, "new-description": "Ask for a letter", "new-owner_kind": "partner",
    })
    assert response.status_code == 400
    assert "Name the partner organisation." in response.content.decode()
    assert not Step.objects.exists()


def test_a_closed_goal_takes_no_new_steps(cast):
    plan, goal = plan_with_goal(cast)
    actions.set_goal_status(by=cast.ana, goal=goal, version=plan.version, status="completed")
    plan.refresh_from_db()
    with pytest.raises(ValueError):
        actions.add_step(by=cast.ana, goal=goal, version=plan.version, description="x", owner_kind="person")


def test_two_people_editing_the_same_plan_get_a_conflict_not_a_lost_update(cast, client_for):
    plan, goal = plan_with_goal(cast)
    seen_version = plan.version
    alice, ana = client_for(cast.alice), client_for(cast.ana)
    first = ana.post(url("add_goal", cast.patient), {"version": seen_version, "description": "Finish school", "status": "active"})
    assert first.status_code == 302
    second = alice.post(url("add_goal", cast.patient), {"version": seen_version, "description": "See my sister", "status": "active"})
    assert second.status_code == 409
    page = second.content.decode()
    assert "changed by someone else" in page and "See my sister" in page
    assert sorted(g.description for g in Goal.objects.all()) == ["Finish school", "I want my own phone again"]


def test_a_stale_goal_status_change_is_a_conflict(cast):
    plan, goal = plan_with_goal(cast)
    stale = plan.version
    actions.set_goal_status(by=cast.ana, goal=goal, version=stale, status="on-hold")
    with pytest.raises(actions.ConflictError):
        actions.set_goal_status(by=cast.alice, goal=goal, version=stale, status="cancelled")
    assert Goal.objects.get(pk=goal.pk).lifecycle_status == "on-hold"


def test_no_goal_depends_on_leaving_and_exit_planning_is_only_theirs_to_start(cast, client_for):
    plan, goal = plan_with_goal(cast)
    assert plan.status == "active" and not plan.exit_planning_chosen
    client = client_for(cast.ana)
    refused = client.post(url("plan", cast.patient), {
        "version": plan.version, "exit_planning": "Leave on Friday",
    })
    assert refused.status_code == 400
    assert "only when they ask" in refused.content.decode()
    assert CarePlan.objects.get(pk=plan.pk).exit_planning == ""
    accepted = client.post(url("plan", cast.patient), {
        "version": plan.version, "exit_planning_chosen": "on", "exit_planning": "My cousin's place first",
    })
    assert accepted.status_code == 302
    assert CarePlan.objects.get(pk=plan.pk).exit_planning == "My cousin's place first"


def test_the_plan_refuses_roles_and_teams_it_should(cast, client, client_for):
    plan, goal = plan_with_goal(cast)
    assert client.get(url("plan", cast.patient)).status_code == 302
    assert client_for(cast.fay).get(url("plan", cast.patient)).status_code == 403
    assert client_for(cast.bob).post(url("add_goal", cast.patient), {"version": 1, "description": "x"}).status_code == 403
    for user in (cast.carol, cast.dan):
        c = client_for(user)
        assert c.get(url("plan", cast.patient)).status_code == 404
        assert c.post(url("goal_status", goal), {"version": plan.version, "status": "on-hold"}).status_code == 404
        assert c.get(url("print", cast.patient)).status_code == 404
    assert Goal.objects.get(pk=goal.pk).lifecycle_status == "active"


def test_bad_goal_input_gets_a_clear_message(cast, client_for):
    plan_with_goal(cast)
    response = client_for(cast.ana).post(url("add_goal", cast.patient), {"version": "x", "description": "  \x07 "})
    assert response.status_code == 400
    assert "Write the goal as they said it." in response.content.decode()


# --- printing -------------------------------------------------------------------------

def _with_safety_plan(cast, include):
    actions.save_safety_plan(by=cast.ana, person=cast.patient, version=None, include_in_print=include,
                             safe_places="Library on Elm Street", code_words="blue umbrella")


def test_the_printout_has_a_neutral_heading_and_no_safety_plan_unless_chosen(cast):
    plan_with_goal(cast, text="Have a doctor I trust")
    _with_safety_plan(cast, include=False)
    html, info = printable_html(cast.patient)
    assert "<h1>My plan</h1>" in html and "Have a doctor I trust" in html
    assert "Library on Elm Street" not in html and "blue umbrella" not in html
    for word in ("traffick", "exploit", "abuse", "Safe Haven"):
        assert word.lower() not in html.lower()
    assert info["include_safety"] is False


def test_the_printout_includes_the_safety_plan_when_they_chose_it(cast):
    plan_with_goal(cast)
    _with_safety_plan(cast, include=True)
    html, info = printable_html(cast.patient)
    assert "Library on Elm Street" in html and info["include_safety"] is True


def test_the_printout_uses_the_heading_they_chose(cast):
    plan, _goal = plan_with_goal(cast)
    actions.update_plan(by=cast.ana, plan=plan, version=plan.version, print_heading="Rosa's road map",
                        exit_planning_chosen=False)
    html, _info = printable_html(cast.patient)
    assert "Rosa&#x27;s road map" in html and "My plan" not in html


@pytest.mark.parametrize(("lang", "heading"), [("es", "Mi plan"), ("fr", "Mon plan")])
def test_the_printout_is_in_their_language(cast, lang, heading):
    from safehaven.people.models import Person

    Person.objects.filter(pk=cast.patient.pk).update(preferred_language=lang)
    cast.patient.refresh_from_db()
    plan_with_goal(cast)
    html, info = printable_html(cast.patient)
    assert f'lang="{lang}"' in html and heading in html and info["lang"] == lang


def test_printing_asks_the_consent_decision_and_logs_the_disclosure(cast, client_for, monkeypatch):
    from safehaven.careplans import printing

    plan_with_goal(cast, domains=("mental-health",))
    asked = []
    real = printing.may_disclose

    def spy(person, recipient, purpose, categories, **kw):
        asked.append((recipient.kind, purpose, sorted(categories)))
        return real(person, recipient, purpose, categories, **kw)

    monkeypatch.setattr(printing, "may_disclose", spy)
    response = client_for(cast.ana).get(url("print", cast.patient))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert asked == [("self", "treatment", ["clinical_summary", "mental_health"])]
    disclosure = Disclosure.objects.get(person=cast.patient)
    assert disclosure.channel == "print" and disclosure.recipient_kind == "self"
    assert disclosure.detail["safety_plan"] is False
