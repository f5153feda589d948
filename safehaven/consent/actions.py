"""The only write path for consents, care-step answers and required reports.

Each action takes keyword arguments, needs the acting user (`by=`), runs in one
transaction and writes its audit event inside it.
"""

import datetime
import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from safehaven.audit.actions import record
from safehaven.consent.decision import Recipient, log_disclosure, may_disclose
from safehaven.consent.models import (
    DATA_CATEGORY_CODES,
    METHODS,
    PROTECTED_CATEGORIES,
    PURPOSES,
    RECIPIENT_CATEGORIES,
    REPORT_RECIPIENTS,
    STEP_STATUSES,
    CareStepConsent,
    ConsentGrant,
    RequiredReport,
)
from safehaven.consent.steps import step as get_step
from safehaven.people.models import Encounter, Person

# The longest a consent may last: "reasonably time-limited" (VAWA/FVPSA).
MAX_CONSENT_DAYS = 366
# A drawn signature is SVG path data: move/line commands and numbers only.
SIGNATURE_PATH = re.compile(r"^[MLml0-9 .,\-]{1,20000}$")
OPEN_ENCOUNTER_STATUSES = {"planned", "in-progress"}


class ConsentInputError(ValueError):
    """The answers cannot be saved; `messages` says why, in plain words."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class ConsentConflict(ConsentInputError):
    """Someone else changed this record after the form was read: nothing was saved."""


# --- care steps ----------------------------------------------------------------------------

def latest_step_answer(encounter: Encounter, step: str) -> CareStepConsent | None:
    """Return the answer that stands for one step of one visit (the latest), or None."""
    return (
        CareStepConsent.objects.filter(encounter=encounter, step=step)
        .order_by("-answered_at", "-id").first()
    )


@transaction.atomic
def record_step_answer(
    *, by: Any, encounter: Encounter, step: str, status: str, preference: str = "",
    note: str = "", seen: str | None = None, ip: str = "",
) -> CareStepConsent:
    """Record what the person said about one step of care, and when they said it.

    `seen` is the public id of the answer the form showed for this step ("" for none). If
    another answer was recorded since, a yes or no (or a new preference) is refused with
    ConsentConflict, so a stale page cannot overrule what the person said in the meantime.
    "Stop" is always recorded: the person may stop at any moment, whatever the page showed.
    `seen=None` (code, not a form) skips the check.
    """
    care_step = get_step(step)
    if status not in {code for code, _label in STEP_STATUSES}:
        raise ConsentInputError([_("Choose yes, no, or stop.")])
    if status != "inactive" and encounter.status not in OPEN_ENCOUNTER_STATUSES:
        raise ConsentInputError([_("This visit is closed. Start a new visit to ask again.")])
    valid_preferences = {code for code, _label in care_step.choices}
    if preference and preference not in valid_preferences:
        raise ConsentInputError([_("Choose one of the listed preferences.")])
    if seen is not None and status != "inactive":
        # One answer at a time per visit: the row lock queues a second writer on PostgreSQL
        # until this transaction ends (SQLite's IMMEDIATE transactions already queue them).
        Encounter.objects.select_for_update().filter(pk=encounter.pk).values_list("pk").first()
        latest = latest_step_answer(encounter, care_step.code)
        if (str(latest.public_id) if latest else "") != seen:
            raise ConsentConflict([_(
                "Someone else recorded an answer for this step while your page was open. "
                "Their answer is shown below: ask again if you need to."
            )])
    answer = CareStepConsent.objects.create(
        person=encounter.person, encounter=encounter, step=care_step.code, status=status,
        preference=preference, note=note.strip(), recorded_by=by,
    )
    record(
        by=by, action="consent.step", obj=answer, person=encounter.person,
        detail={"step": care_step.code, "status": status, "encounter": str(encounter.public_id)},
        ip=ip,
    )
    return answer


# --- information-sharing consents ------------------------------------------------------

def _validate_grant(data: dict, *, now: datetime.datetime) -> list[str]:
    errors = []
    if data["provision"] not in {"permit", "deny"}:
        errors.append(_("Choose whether this allows or refuses sharing."))
    if data["recipient_kind"] not in {"organization", "service", "category"}:
        errors.append(_("Choose who would receive the information."))
    if data["recipient_category"] not in {c for c, _label in RECIPIENT_CATEGORIES}:
        errors.append(_("Choose what kind of recipient this is."))
    if data["recipient_kind"] in {"organization", "service"} and not data["recipient_ref"]:
        errors.append(_("Name the organisation or service."))
    if not data["recipient_label"]:
        errors.append(_("Write the recipient's name as the person would recognise it."))
    purposes = data["purposes"]
    if not purposes or set(purposes) - {c for c, _label in PURPOSES}:
        errors.append(_("Choose at least one purpose."))
    categories = data["categories"]
    if not categories or set(categories) - set(DATA_CATEGORY_CODES):
        errors.append(_("Choose at least one kind of information."))
    if data["method"] not in {c for c, _label in METHODS}:
        errors.append(_("Say how they gave their consent."))
    if data["method"] == "witnessed_verbal" and not data["witness_name"]:
        errors.append(_("Verbal consent needs the name of a witness."))
    if data["method"] == "written" and not (data["signature_name"] or data["signature_image"]):
        errors.append(_("Written consent needs their typed or drawn signature."))
    if data["signature_image"] and not SIGNATURE_PATH.match(data["signature_image"]):
        errors.append(_("The drawn signature could not be read. Type the name instead."))
    if not data["informed"]:
        errors.append(_("Confirm that you explained what will be shared, with whom, and that they can change their mind."))
    if (
        data["provision"] == "permit"
        and (data["recipient_category"] in PROTECTED_CATEGORIES or "law_enforcement" in purposes)
        and not data["explicit_protected"]
    ):
        errors.append(_("Sharing with law enforcement or immigration needs their explicit request. Confirm it below."))
    starts_at, expires_at = data["starts_at"], data["expires_at"]
    if expires_at is None:
        errors.append(_("Give an end date. Every consent must end."))
    else:
        if expires_at <= max(starts_at, now):
            errors.append(_("The end date must be in the future."))
        elif expires_at - starts_at > datetime.timedelta(days=MAX_CONSENT_DAYS):
            errors.append(_("A consent can last at most one year. Choose an earlier end date."))
    return errors


@transaction.atomic
def grant_consent(
    *, by: Any, person: Person, provision: str = "permit", recipient_kind: str,
    recipient_category: str, recipient_label: str, recipient_ref: str = "",
    purposes: list[str], categories: list[str], method: str, informed: bool,
    expires_at: datetime.datetime | None, starts_at: datetime.datetime | None = None,
    witness_name: str = "", signature_name: str = "", signature_image: str = "",
    language: str = "en", explicit_protected: bool = False, ip: str = "",
) -> ConsentGrant:
    """Record a person's informed, time-limited decision to allow (or refuse) sharing."""
    now = timezone.now()
    data = {
        "provision": provision, "recipient_kind": recipient_kind,
        "recipient_category": recipient_category, "recipient_label": recipient_label.strip(),
        "recipient_ref": recipient_ref.strip(), "purposes": sorted(set(purposes)),
        "categories": sorted(set(categories)), "method": method, "informed": informed,
        "witness_name": witness_name.strip(), "signature_name": signature_name.strip(),
        "signature_image": signature_image.strip(), "explicit_protected": explicit_protected,
        "starts_at": starts_at or now, "expires_at": expires_at,
    }
    errors = _validate_grant(data, now=now)
    if errors:
        raise ConsentInputError(errors)
    data.pop("explicit_protected")
    grant = ConsentGrant.objects.create(person=person, recorded_by=by, language=language, **data)
    record(
        by=by, action="consent.grant", obj=grant, person=person,
        detail={
            "provision": provision, "recipient": grant.recipient_label,
            "purposes": grant.purposes, "categories": grant.categories,
            "expires_at": grant.expires_at.isoformat(),
        },
        ip=ip,
    )
    return grant


@transaction.atomic
def revoke_consent(
    *, by: Any, grant: ConsentGrant, version: int, reason: str = "", ip: str = "",
) -> ConsentGrant:
    """Withdraw a consent now; it stops applying at once.

    `version` is the version the form was read at. One conditional UPDATE claims the change,
    so of two people withdrawing (or changing) the same consent only the first succeeds;
    the other gets ConsentConflict, nothing changes and no audit event is written.
    """
    now = timezone.now()
    reason = reason.strip()[:300]
    claimed = ConsentGrant.objects.filter(pk=grant.pk, version=version, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by, revocation_reason=reason, version=F("version") + 1,
    )
    if not claimed:
        current = ConsentGrant.objects.filter(pk=grant.pk).only("revoked_at").first()
        if current is not None and current.revoked_at is not None:
            raise ConsentConflict([_(
                "This consent was already withdrawn, on %(date)s. Nothing was changed."
            ) % {"date": date_format(timezone.localtime(current.revoked_at), "SHORT_DATETIME_FORMAT")}])
        raise ConsentConflict([_(
            "Someone else changed this consent while your page was open. Nothing was changed. "
            "Check it below and withdraw it again if they still want to."
        )])
    grant.revoked_at, grant.revoked_by, grant.revocation_reason = now, by, reason
    grant.version = version + 1
    record(by=by, action="consent.revoke", obj=grant, person=grant.person, ip=ip)
    return grant


# --- legally required reports ------------------------------------------------------------

@transaction.atomic
def record_required_report(
    *, by: Any, person: Person, recipient_category: str, agency: str, legal_basis: str,
    categories: list[str], person_told: bool, how_told: str = "", notes: str = "",
    ip: str = "",
) -> RequiredReport:
    """Record a report the law required about a minor, and the disclosure it made."""
    errors = []
    if not person.is_minor:
        errors.append(_("A required report can be recorded here only for someone under 18. "
                        "For an adult, nothing is shared without their consent."))
    if recipient_category not in {c for c, _label in REPORT_RECIPIENTS}:
        errors.append(_("Choose the agency the report went to."))
    if not agency.strip():
        errors.append(_("Name the agency."))
    if not legal_basis.strip():
        errors.append(_("Name the law that requires the report."))
    if not categories or set(categories) - set(DATA_CATEGORY_CODES):
        errors.append(_("Choose what kinds of information were reported."))
    if person_told and not how_told.strip():
        errors.append(_("Say how they were told about the report."))
    if errors:
        raise ConsentInputError(errors)
    recipient = Recipient(kind="category", category=recipient_category, label=agency.strip())
    decision = may_disclose(
        person, recipient, "law_enforcement", categories, legal_basis=legal_basis.strip()
    )
    if not decision.permitted:
        raise ConsentInputError([_("None of these kinds of information may be reported.")])
    disclosure = log_disclosure(
        by=by, person=person, recipient=recipient, purpose="law_enforcement",
        decision=decision, channel="required_report",
    )
    report = RequiredReport.objects.create(
        person=person, recipient_category=recipient_category, agency=agency.strip(),
        legal_basis=legal_basis.strip(), categories=decision.permitted, made_by=by,
        person_told_at=timezone.now() if person_told else None, how_told=how_told.strip(),
        notes=notes.strip(), disclosure=disclosure,
    )
    record(
        by=by, action="consent.required_report", obj=report, person=person,
        detail={"agency": report.agency, "categories": report.categories,
                "withheld": decision.refused},
        ip=ip,
    )
    return report


@transaction.atomic
def mark_report_told(*, by: Any, report: RequiredReport, how_told: str, ip: str = "") -> RequiredReport:
    """Record that the person has been told about a required report, and how.

    The row is locked and read again first, so if two people record it at once only the
    first is saved; the other gets ConsentConflict and no audit event.
    """
    if not how_told.strip():
        raise ConsentInputError([_("Say how they were told about the report.")])
    current = RequiredReport.objects.select_for_update().filter(pk=report.pk).only("person_told_at").first()
    if report.person_told_at is not None or current is None or current.person_told_at is not None:
        raise ConsentConflict([_("They were already told about this report. Nothing was changed.")])
    report.person_told_at = timezone.now()
    report.how_told = how_told.strip()
    report.save(update_fields=["person_told_at", "how_told"])
    record(by=by, action="consent.required_report.told", obj=report, person=report.person, ip=ip)
    return report


# --- FHIR import -------------------------------------------------------------------------

@transaction.atomic
def import_fhir_consents(*, by: Any, person: Person, resource: dict, ip: str = "") -> list[ConsentGrant]:
    """Create the consents in force from a FHIR R4 Consent (or Bundle) about this person.

    Consents that have ended or were withdrawn are not imported. All or nothing.
    """
    from safehaven.fhir.resources.consent import from_fhir

    try:
        items = from_fhir(resource)
    except ValueError as exc:
        raise ConsentInputError([_("The file could not be read: %(error)s") % {"error": exc}]) from None
    now = timezone.now()
    grants = []
    for item in items:
        if item.pop("patient") != str(person.public_id):
            raise ConsentInputError([_("This file is about someone else.")])
        revoked_at = item.pop("revoked_at")
        if revoked_at is not None or (item["expires_at"] is not None and item["expires_at"] <= now):
            continue
        if item["method"] == "written" and not item["signature_name"]:
            item["signature_name"] = _("Signed original on file")
        grants.append(grant_consent(
            by=by, person=person, informed=True,
            explicit_protected=item["recipient_category"] in PROTECTED_CATEGORIES, ip=ip, **item,
        ))
    record(by=by, action="consent.import", person=person,
           detail={"imported": len(grants), "skipped": len(items) - len(grants)}, ip=ip)
    return grants
