"""The authorization matrix: every route, who may use it, and on which records.

Each named route in the URL configuration must have an entry in ROUTES (a test fails
otherwise, so a new route is covered the day it is added). An entry says:

- `perm`: the permission needed (`PUBLIC` for pages anyone may open, `SIGNED_IN` for any staff
  member, `TOKEN` for links that carry their own secret), or a tuple of permissions of which
  any one is enough;
- `obj`: the kind of record in the URL (a key of OBJECTS), or None;
- `scope`: "team" (the record's care team, or break-the-glass), "site" (any record at a site
  where the user holds `perm`, e.g. the administrator's audit views) or "partner" (a referral
  sent to the partner's organisation at a site where the partner holds `perm`);
- `method`, `data`: how to call it;
- `api`: answers 401 (JSON or OperationOutcome) instead of redirecting to sign in;
- `kwargs`: extra URL kwargs, `kwargs(cast, person) -> dict` (records that are not a person's:
  an instrument, a module, a directory entry);
- `id_kwarg`: the URL kwarg that carries the record's id (default `public_id`);
- `expect`: a rule of its own, `expect(cast, username, person) -> "allow" | "403" | "404"`, for
  routes whose records belong to staff rather than to a person (e.g. a training certificate);
- `fixed`: one status every caller gets, signed in or not (e.g. the FHIR base URL);
- `break_glass`: the answer for a holder of emergency access who is not on the care team ("allow"
  unless the capability keeps the page to the team itself, e.g. printing the care plan: "403").

From that the test derives, for every role and relationship (own care team, other team at the
same site, other site, anonymous), the expected answer: allowed (anything but 401/403/404/5xx),
403 (the role can never do it), 404 (the record is outside the user's reach, also when another
person's id is swapped into the URL), or a redirect to sign in.

Records are made with each capability's own `actions.py`, by a member of staff of the person's
own site (alice at Harbor, dan at Riverside), so they are the records a real clinic would hold.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from safehaven.accounts.permissions import Perm

PUBLIC = "public"
SIGNED_IN = "signed_in"
TOKEN = "token"


@dataclass(frozen=True)
class Route:
    perm: object
    obj: str | None = None
    scope: str = "team"
    method: str = "GET"
    data: dict = field(default_factory=dict)
    api: bool = False  # answers 401 JSON instead of redirecting to sign in
    kwargs: Callable | None = None  # extra URL kwargs: kwargs(cast, person) -> dict
    id_kwarg: str = "public_id"
    expect: Callable | None = None  # expect(cast, username, person) -> "allow" | "403" | "404"
    fixed: int | None = None
    break_glass: str = "allow"  # the answer for someone holding emergency access, not on the team


# --- shared records (one per test, cached on the cast) ----------------------------------------

def _cache(cast) -> dict:
    if not hasattr(cast, "matrix_cache"):
        cast.matrix_cache = {}
    return cast.matrix_cache


def author(cast, person):
    """Return a member of staff of the person's own site who is on their care team."""
    return cast.alice if person.site_id == cast.site_a.pk else cast.dan


def directory(cast) -> dict:
    """A partner organisation with a service at a public location, a taxonomy and a term."""
    cache = _cache(cast)
    if "directory" not in cache:
        from safehaven.directory.models import (
            Address,
            Location,
            Organization,
            Service,
            ServiceAtLocation,
            Taxonomy,
            TaxonomyTerm,
        )

        org = Organization.objects.create(name="Matrix Housing Partners")
        service = Service.objects.create(organization=org, name="Matrix transitional housing")
        place = Location.objects.create(organization=org, name="Matrix drop-in", confidential_location=False)
        Address.objects.create(location=place, address_1="1 Open Street", city="Oakport")
        sal = ServiceAtLocation.objects.create(service=service, location=place)
        taxonomy = Taxonomy.objects.create(name="Matrix taxonomy")
        term = TaxonomyTerm.objects.create(taxonomy=taxonomy, code="mx-1", name="Housing")
        cache["directory"] = {"org": org, "service": service, "sal": sal, "taxonomy": taxonomy, "term": term}
    return cache["directory"]


def partner_user(cast):
    """A partner organisation's account (role partner at Harbor) linked to the matrix organisation."""
    cache = _cache(cast)
    if "partner" not in cache:
        from safehaven.referrals.models import PartnerAccount
        from safehaven.testing.factories import make_staff

        user = make_staff("pat", cast.site_a, "partner", display_name="Pat (partner)")
        PartnerAccount.objects.create(user=user, organization=directory(cast)["org"])
        cache["partner"] = user
    return cache["partner"]


def instrument(cast, person=None) -> dict:
    cache = _cache(cast)
    if "instrument" not in cache:
        from safehaven.screening import actions

        files = dict(actions.shipped_instrument_files())
        cache["instrument"] = actions.import_instruments(by="matrix", files=[("phq-9.json", files["phq-9.json"])])[0]
    return {"instrument_id": cache["instrument"].public_id}


def training_module(cast):
    cache = _cache(cast)
    if "module" not in cache:
        from safehaven.training.actions import load_curriculum
        from safehaven.training.content import read_modules
        from safehaven.training.models import Module

        first = sorted(read_modules(), key=lambda m: m.get("order", 0))[:1]
        load_curriculum(by="matrix", modules=first)
        cache["module"] = Module.objects.get(code=first[0]["code"])
    return cache["module"]


def _module_code(cast, person) -> dict:
    return {"code": training_module(cast).code}


# --- kinds of record that appear in URLs: make(cast, person) -> URL kwargs ------------------

def _person(cast, person):
    return {"public_id": person.public_id}


def _encounter(cast, person):
    from safehaven.people import actions

    enc = actions.start_encounter(by=author(cast, person), person=person, setting="outreach", chief_complaint="matrix")
    return {"public_id": enc.public_id}


def _grant(cast, person):
    from safehaven.access import actions

    by = cast.carol
    if person.site_id != cast.site_a.pk:
        from safehaven.testing.factories import make_staff

        by = make_staff(f"bg{person.pk}", person.site, "clinician")
    grant = actions.break_glass(by=by, person=person, reason="matrix test reason")
    return {"public_id": grant.public_id}


def _screening_session(cast, person):
    from safehaven.screening import actions

    by = author(cast, person)
    session = actions.start_session(by=by, person=person)
    actions.record_privacy(by=by, session=session, alone=True)
    actions.record_confidentiality(by=by, session=session)  # every instrument may be offered now
    return {"public_id": session.public_id}


def _screening_task(cast, person):
    from safehaven.screening import actions

    return {"public_id": actions.record_disclosure(by=author(cast, person), person=person).public_id}


def _mandatory_report(cast, person):
    from safehaven.screening import actions

    return {"public_id": actions._open_report(by=author(cast, person), person=person).public_id}


def _due_item(cast, person):
    from safehaven.followup import actions

    _event, items = actions.record_event(by=author(cast, person), person=person, kind="sti_treated",
                                         occurred_on=timezone.localdate())
    return {"public_id": items[0].public_id}


def _make_appointment(cast, person):
    from safehaven.followup import actions

    by = author(cast, person)
    return actions.book_appointment(
        by=by, person=person, clinician=by, preference_note="matrix",
        starts_at=timezone.now() + datetime.timedelta(days=2),
    )


def _appointment(cast, person):
    return {"public_id": _make_appointment(cast, person).public_id}


def _outreach(cast, person):
    from safehaven.followup import actions

    visit = _make_appointment(cast, person)
    task = actions.set_appointment_status(by=author(cast, person), appointment=visit, status="noshow")
    return {"public_id": task.public_id}


def _protocol_step(cast, person):
    from safehaven.followup.models import ProtocolStep
    from safehaven.followup.protocols import ensure_default_protocols

    ensure_default_protocols(person.site)
    step = ProtocolStep.objects.filter(protocol__site=person.site).order_by("pk").first()
    return {"public_id": step.public_id}


def make_referral(cast, person, *, service=None, send=True):
    from safehaven.referrals import actions

    by = author(cast, person)
    referral = actions.create_referral(
        by=by, person=person, need_domain="housing", service=service or directory(cast)["service"],
        requested_categories=["identity_contact"], summaries={},
    )
    if send:
        referral = actions.send_referral(by=by, referral=referral)
    return referral


def _referral(cast, person):
    return {"public_id": make_referral(cast, person).public_id}


def _referral_link(cast, person):
    from safehaven.referrals import actions

    referral = make_referral(cast, person)
    link, _token = actions.create_partner_link(by=author(cast, person), referral=referral)
    return {"public_id": referral.public_id, "link_id": link.public_id}


def _completion(cast, person):
    """A training certificate of the staff member of the person's site (alice or dan)."""
    from safehaven.training.actions import submit_attempt

    module = training_module(cast)
    answers = {q.key: q.correct_key for q in module.questions.filter(active=True)}
    from safehaven.training.models import Completion

    learner = author(cast, person)
    submit_attempt(by=learner, module=module, kind="post", answers=answers)
    completion = Completion.objects.get(user=learner, module=module)
    return {"public_id": completion.public_id}


def _consent_grant(cast, person):
    from safehaven.consent import actions

    grant = actions.grant_consent(
        by=author(cast, person), person=person, recipient_kind="category", recipient_category="housing",
        recipient_label="Housing providers", purposes=["referral"], categories=["identity_contact"],
        method="written", signature_name="R.", informed=True,
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    return {"public_id": grant.public_id}


def _required_report(cast, person):
    """A report the law required (for a minor: the person is made 16 while it is recorded)."""
    from safehaven.consent import actions
    from safehaven.people.models import Person

    born, band = person.date_of_birth, person.age_band
    minor_birth = timezone.localdate().replace(year=timezone.localdate().year - 16, day=1)
    Person.objects.filter(pk=person.pk).update(date_of_birth=minor_birth)
    person.refresh_from_db()
    try:
        report = actions.record_required_report(
            by=author(cast, person), person=person, recipient_category="child_protection",
            agency="Child protection line", legal_basis="State reporting law", categories=["identity_contact"],
            person_told=False,
        )
    finally:
        Person.objects.filter(pk=person.pk).update(date_of_birth=born, age_band=band)
        person.refresh_from_db()
    return {"public_id": report.public_id}


def _goal(cast, person):
    from safehaven.careplans import actions

    by = author(cast, person)
    plan = actions.start_plan(by=by, person=person)
    return actions.add_goal(by=by, plan=plan, version=plan.version, description="Find a safe place to live")


def _goal_id(cast, person):
    return {"public_id": _goal(cast, person).public_id}


def _plan_step(cast, person):
    from safehaven.careplans import actions

    goal = _goal(cast, person)
    goal.plan.refresh_from_db()
    step = actions.add_step(by=author(cast, person), goal=goal, version=goal.plan.version,
                            description="Call the housing office", owner_kind="person")
    return {"public_id": step.public_id}


def _conference(cast, person, *, outside=False):
    from safehaven.careplans import actions
    from safehaven.careplans.models import ConferenceAttendee

    conference = actions.record_conference(
        by=author(cast, person), person=person,
        external=[{"name": "Sam", "organisation_label": "Housing office", "recipient_category": "housing",
                   "purpose": "treatment"}],
        decisions=[{"text": "Look for housing together", "category": "clinical_summary"}],
    )
    out = {"public_id": conference.public_id}
    if outside:
        attendee = ConferenceAttendee.objects.get(conference=conference, user__isnull=True)
        out["attendee_id"] = attendee.public_id
    return out


def _conference_outside(cast, person):
    return _conference(cast, person, outside=True)


def _case_task(cast, person):
    from safehaven.careplans import actions

    return {"public_id": actions.create_task(by=author(cast, person), person=person, title="Call back").public_id}


def _assessment(cast, person):
    from safehaven.careplans import actions

    return {"public_id": actions.record_assessment(by=author(cast, person), person=person, ratings={}).public_id}


OBJECTS: dict[str, Callable] = {
    "person": _person,
    "encounter": _encounter,
    "grant": _grant,
    "screening_session": _screening_session,
    "screening_task": _screening_task,
    "mandatory_report": _mandatory_report,
    "due_item": _due_item,
    "appointment": _appointment,
    "outreach": _outreach,
    "protocol_step": _protocol_step,
    "referral": _referral,
    "referral_link": _referral_link,
    "completion": _completion,
    "consent_grant": _consent_grant,
    "required_report": _required_report,
    "goal": _goal_id,
    "plan_step": _plan_step,
    "conference": _conference,
    "conference_outside": _conference_outside,
    "case_task": _case_task,
    "assessment": _assessment,
}


# --- rules of their own -----------------------------------------------------------------------

def certificate_rule(cast, username, person):
    """A certificate is its learner's, and visible to whoever manages staff at the learner's site."""
    from safehaven.access.gate import sites_with

    user = getattr(cast, username)
    learner = author(cast, person)
    if user.pk == learner.pk or person.site_id in sites_with(user, Perm.MANAGE_STAFF):
        return "allow"
    return "404"


def bulk_export_rule(cast, username, person):
    """Bulk export is for registered machine clients (bearer token); a staff session is refused."""
    return "403"


def _kw(**values):
    return lambda cast, person: dict(values)


def _dir(key, name="id"):
    return lambda cast, person: {name: directory(cast)[key].public_id}


_PATIENT = _kw(resource_type="Patient")
_ANY_DIRECTORY = (Perm.CASE_MANAGE, Perm.VIEW_PERSON)

ROUTES: dict[str, Route] = {
    "home-root": Route(PUBLIC),
    "core:home": Route(PUBLIC),
    "core:neutral": Route(PUBLIC),
    "core:healthz": Route(PUBLIC),
    "core:robots": Route(PUBLIC),
    "set_language": Route(PUBLIC, method="POST", data={"language": "es"}),
    "accounts:login": Route(PUBLIC),
    "accounts:verify": Route(SIGNED_IN),
    "accounts:enroll": Route(SIGNED_IN),
    "accounts:logout": Route(PUBLIC, method="POST"),
    "accounts:unlock": Route(SIGNED_IN),
    "people:worklist": Route(Perm.VIEW_PERSON),
    "people:register": Route(Perm.REGISTER_PERSON),
    "people:chart": Route(Perm.VIEW_PERSON, obj="person"),
    "people:edit": Route(Perm.EDIT_PERSON, obj="person"),
    "people:start_encounter": Route(Perm.WRITE_CLINICAL, obj="person", method="POST"),
    "people:care_team": Route(Perm.MANAGE_CARE_TEAM, obj="person", method="POST"),
    "people:encounter": Route(Perm.VIEW_CLINICAL, obj="encounter"),
    "people:encounters": Route(Perm.VIEW_CLINICAL, obj="person"),
    "access:break_glass": Route(Perm.BREAK_GLASS),
    "access:review": Route(Perm.REVIEW_BREAK_GLASS),
    "access:review_grant": Route(Perm.REVIEW_BREAK_GLASS, obj="grant", scope="site", method="POST"),
    "audit:log": Route(Perm.VIEW_AUDIT),
    "audit:person": Route(Perm.VIEW_AUDIT, obj="person", scope="site"),
    "api:openapi": Route(PUBLIC),
    "api:people": Route(Perm.VIEW_PERSON, api=True),
    "api:person": Route(Perm.VIEW_PERSON, obj="person", api=True),
    # screening
    "screening:instruments": Route(Perm.MANAGE_CLINIC),
    "screening:instrument_status": Route(Perm.MANAGE_CLINIC, method="POST", kwargs=instrument),
    "screening:start": Route(Perm.SCREEN, obj="person", method="POST"),
    "screening:cues": Route(Perm.SCREEN, obj="person", method="POST"),
    "screening:session": Route(Perm.SCREEN, obj="screening_session"),
    "screening:ask": Route(Perm.SCREEN, obj="screening_session", kwargs=instrument),
    "screening:tablet": Route(Perm.SCREEN, obj="screening_session"),
    "screening:tablet_ask": Route(Perm.SCREEN, obj="screening_session", kwargs=instrument),
    "screening:handback": Route(Perm.SCREEN, obj="screening_session"),
    "screening:task": Route(Perm.SCREEN, obj="screening_task"),
    "screening:report": Route(Perm.SCREEN, obj="mandatory_report"),
    "screening:visit_summary": Route(Perm.VIEW_CLINICAL, obj="encounter"),
    # follow-up
    "followup:worklist": Route(Perm.VIEW_CLINICAL),
    "followup:day": Route(Perm.WRITE_CLINICAL),
    "followup:outreach": Route(Perm.CASE_MANAGE),
    "followup:outreach_update": Route(Perm.CASE_MANAGE, obj="outreach", method="POST"),
    "followup:event": Route(Perm.WRITE_CLINICAL, obj="person", method="POST"),
    "followup:book": Route(Perm.WRITE_CLINICAL, obj="person"),
    "followup:reminder": Route(Perm.CASE_MANAGE, obj="person"),
    "followup:person_outcomes": Route(Perm.VIEW_CLINICAL, obj="person"),
    "followup:due": Route(Perm.WRITE_CLINICAL, obj="due_item", method="POST"),
    "followup:appointment_status": Route(Perm.WRITE_CLINICAL, obj="appointment", method="POST"),
    "followup:protocols": Route(Perm.MANAGE_CLINIC),
    "followup:step": Route(Perm.MANAGE_CLINIC, obj="protocol_step", scope="site"),
    "followup:templates": Route(Perm.MANAGE_CLINIC),
    "followup:outcomes": Route(Perm.VIEW_AGGREGATE),
    # referrals and partners
    "referrals:worklist": Route(Perm.CASE_MANAGE),
    "referrals:policy": Route(Perm.MANAGE_CLINIC),
    "referrals:new": Route(Perm.CASE_MANAGE, obj="person", id_kwarg="person_id"),
    "referrals:detail": Route(Perm.CASE_MANAGE, obj="referral"),
    "referrals:send": Route(Perm.CASE_MANAGE, obj="referral", method="POST"),
    "referrals:status": Route(Perm.CASE_MANAGE, obj="referral", method="POST"),
    "referrals:make_link": Route(Perm.CASE_MANAGE, obj="referral", method="POST"),
    "referrals:revoke_link": Route(Perm.CASE_MANAGE, obj="referral_link", method="POST"),
    "referrals:help_answer": Route(Perm.CASE_MANAGE, obj="referral", method="POST"),
    "partner:list": Route(Perm.PARTNER_REFERRALS),
    "partner:referral": Route(Perm.PARTNER_REFERRALS, obj="referral", scope="partner"),
    "partner:link": Route(TOKEN),  # see test_the_partner_link_opens_only_its_own_referral
    # training
    "training:home": Route(Perm.TRAINING),
    "training:staff": Route((Perm.MANAGE_STAFF, Perm.MANAGE_CLINIC)),
    "training:settings": Route(Perm.MANAGE_CLINIC),
    "training:certificate": Route(SIGNED_IN, obj="completion", expect=certificate_rule),
    "training:module": Route(Perm.TRAINING, kwargs=_module_code),
    "training:pre_test": Route(Perm.TRAINING, kwargs=_module_code),
    "training:check": Route(Perm.TRAINING, kwargs=_module_code),
    # consent
    "consent:expiring": Route(Perm.MANAGE_CONSENT),
    "consent:blank_form_pdf": Route(Perm.MANAGE_CONSENT),
    "consent:encounter_steps": Route(Perm.VIEW_CLINICAL, obj="encounter"),
    "consent:person": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:new_grant": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:new_report": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:disclosures": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:disclosures_pdf": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:summary_pdf": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:fhir_export": Route(Perm.MANAGE_CONSENT, obj="person"),
    "consent:fhir_import": Route(Perm.MANAGE_CONSENT, obj="person", method="POST"),
    "consent:report_told": Route(Perm.MANAGE_CONSENT, obj="required_report", method="POST"),
    "consent:revoke": Route(Perm.MANAGE_CONSENT, obj="consent_grant", method="POST"),
    "consent:grant_pdf": Route(Perm.MANAGE_CONSENT, obj="consent_grant"),
    # care plans
    "careplans:caseload": Route(Perm.CASE_MANAGE),
    "careplans:task_status": Route(Perm.CASE_MANAGE, obj="case_task", method="POST"),
    "careplans:assessment": Route(Perm.CASE_MANAGE, obj="assessment"),
    "careplans:goal_status": Route(Perm.CASE_MANAGE, obj="goal", method="POST"),
    "careplans:add_step": Route(Perm.CASE_MANAGE, obj="goal", method="POST"),
    "careplans:update_step": Route(Perm.CASE_MANAGE, obj="plan_step", method="POST"),
    "careplans:conference": Route(Perm.CASE_MANAGE, obj="conference"),
    "careplans:conference_external": Route(Perm.CASE_MANAGE, obj="conference_outside"),
    "careplans:needs": Route(Perm.CASE_MANAGE, obj="person"),
    "careplans:plan": Route(Perm.CASE_MANAGE, obj="person"),
    "careplans:add_goal": Route(Perm.CASE_MANAGE, obj="person", method="POST"),
    "careplans:print": Route(Perm.CASE_MANAGE, obj="person", break_glass="403"),  # the care team prints
    "careplans:safety": Route(Perm.CASE_MANAGE, obj="person"),
    "careplans:contacts": Route(Perm.CASE_MANAGE, obj="person"),
    "careplans:new_conference": Route(Perm.CASE_MANAGE, obj="person"),
    "careplans:timeline": Route(Perm.CASE_MANAGE, obj="person"),
    # directory and its HSDS API (no person's data: any signed-in account for the API)
    "directory:search": Route(_ANY_DIRECTORY),
    "directory:service": Route(_ANY_DIRECTORY, kwargs=_dir("service", "public_id")),
    "hsds:root": Route(SIGNED_IN, api=True),
    "hsds:services": Route(SIGNED_IN, api=True),
    "hsds:service": Route(SIGNED_IN, api=True, kwargs=_dir("service")),
    "hsds:organizations": Route(SIGNED_IN, api=True),
    "hsds:organization": Route(SIGNED_IN, api=True, kwargs=_dir("org")),
    "hsds:service_at_locations": Route(SIGNED_IN, api=True),
    "hsds:service_at_location": Route(SIGNED_IN, api=True, kwargs=_dir("sal")),
    "hsds:taxonomies": Route(SIGNED_IN, api=True),
    "hsds:taxonomy": Route(SIGNED_IN, api=True, kwargs=_dir("taxonomy")),
    "hsds:taxonomy_terms": Route(SIGNED_IN, api=True),
    "hsds:taxonomy_term": Route(SIGNED_IN, api=True, kwargs=_dir("term")),
    # evaluation
    "evaluation:dashboard": Route(Perm.VIEW_AGGREGATE),
    "evaluation:research": Route(Perm.EXPORT_DATA),
    # FHIR (session callers here; bearer tokens in test_fhir_bearer_tokens_are_bounded_...)
    "fhir:base": Route(PUBLIC, fixed=404),
    "fhir:metadata": Route(PUBLIC),
    "fhir:search": Route(Perm.VIEW_PERSON, api=True, kwargs=_PATIENT),
    "fhir:read": Route(Perm.VIEW_PERSON, obj="person", api=True, kwargs=_PATIENT, id_kwarg="resource_id"),
    "fhir:export_system": Route(Perm.EXPORT_DATA, api=True, expect=bulk_export_rule),
    "fhir:export_patients": Route(Perm.EXPORT_DATA, api=True, expect=bulk_export_rule),
    "fhir:export_group": Route(Perm.EXPORT_DATA, api=True, expect=bulk_export_rule,
                               kwargs=lambda cast, person: {"group_id": cast.site_a.public_id}),
    "fhir:export_status": Route(Perm.EXPORT_DATA, api=True, expect=bulk_export_rule,
                                kwargs=lambda cast, person: {"job_id": uuid.uuid4()}),
    "fhir:export_file": Route(Perm.EXPORT_DATA, api=True, expect=bulk_export_rule,
                              kwargs=lambda cast, person: {"job_id": uuid.uuid4(), "filename": "Patient.ndjson"}),
}
