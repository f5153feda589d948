"""The printable care plan, for the person, in their language (WeasyPrint PDF)."""

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from safehaven.careplans import queries
from safehaven.consent.decision import Recipient, log_disclosure, may_disclose
from safehaven.people.models import Person

PRINT_LANGUAGES = {"en", "es", "fr"}


def print_language(person: Person) -> str:
    return person.preferred_language if person.preferred_language in PRINT_LANGUAGES else "en"


def categories_for(plan, include_safety: bool) -> list[str]:
    """Return the data categories the printout carries (goals' domains, safety plan)."""
    cats = {"clinical_summary"}
    if plan is not None:
        for goal in plan.goals.all():
            cats |= {d.data_category for d in goal.domains.all()}
    if include_safety:
        cats.add("location")
    from safehaven.consent.models import DATA_CATEGORY_CODES

    return sorted(c for c in cats if c in DATA_CATEGORY_CODES)


def printable_html(person: Person) -> tuple[str, dict]:
    """Return the HTML of the person's printed plan and what it contains."""
    plan = queries.plan_for(person)
    safety = queries.safety_plan_for(person)
    include_safety = bool(safety and safety.include_in_print)
    lang = print_language(person)
    goals = [g for g in (plan.goals.all() if plan else []) if g.is_open or g.lifecycle_status == "completed"]
    with translation.override(lang):
        html = render_to_string("careplans/print.html", {
            "person": person, "plan": plan, "goals": goals,
            "safety": safety if include_safety else None, "lang": lang,
            "exit_planning": plan.exit_planning if plan and plan.exit_planning_chosen else "",
        })
    return html, {"plan": plan, "include_safety": include_safety, "lang": lang,
                  "categories": categories_for(plan, include_safety)}


def print_plan(*, by: Any, person: Person) -> bytes:
    """Return the PDF of the plan for the person, after asking the consent decision and logging it."""
    from safehaven.core.pdf import render_pdf

    html, info = printable_html(person)
    recipient = Recipient.the_person()
    decision = may_disclose(person, recipient, "treatment", info["categories"])
    if not decision.allowed:
        raise PermissionError(decision.reason)
    pdf = render_pdf(html)
    log_disclosure(
        by=by, person=person, recipient=recipient, purpose="treatment", decision=decision,
        channel="print",
        detail={"document": "care_plan", "language": info["lang"], "safety_plan": info["include_safety"]},
    )
    return pdf
