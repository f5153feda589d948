"""The only write path for screening: keyword-only, `by=`, one transaction, audited inside."""

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from safehaven.audit.actions import record
from safehaven.people.models import Encounter, Person
from safehaven.screening import engine, rescore
from safehaven.screening.models import (
    CONCERN_CODES,
    CUE_CODES,
    CueObservation,
    HealthConcern,
    Instrument,
    MandatoryReport,
    ResponseTask,
    ScoredResult,
    ScreeningResponse,
    ScreeningSession,
)


class StepError(ValueError):
    """A PEARR step was skipped or the request does not fit the session's state."""


@dataclass(frozen=True)
class ReportingRule:
    """What a jurisdiction requires when a minor may be harmed (configurable per site)."""

    hours: int
    agency: str
    explanation: str


# Mandatory reporting of minors, by site jurisdiction. California: CANRA (Penal Code
# 11166) asks for a phone report immediately or as soon as practicable and a written
# report within 36 hours. Other jurisdictions fall back to the strictest default until
# a clinic configures them.
REPORTING_RULES: dict[str, ReportingRule] = {
    "US-CA": ReportingRule(
        36, "County child welfare agency (phone now, written report within 36 hours)",
        "If you tell me that someone under 18 is being hurt or made to do sex or work, I have to "
        "report it to child protection. I will tell you before I do, and you can be part of it.",
    ),
}
DEFAULT_RULE = ReportingRule(
    24, "Child protective services for this jurisdiction",
    "If you tell me that someone under 18 is being hurt or made to do sex or work, I have to "
    "report it. I will tell you before I do, and you can be part of it.",
)
ADULT_EXPLANATION = (
    "What you tell me stays between you and your care team. I will not tell the police or "
    "immigration unless you ask me to. The only exceptions are if someone's life is in danger "
    "right now, or if a child is being hurt."
)


def rule_for(jurisdiction: str) -> ReportingRule:
    """Return the reporting rule of a jurisdiction (the default when none is configured)."""
    return REPORTING_RULES.get(jurisdiction, DEFAULT_RULE)


# --- instruments ---------------------------------------------------------------------------

@transaction.atomic
def import_instruments(*, by: Any, files: list[tuple[str, str | bytes]]) -> list[Instrument]:
    """Import Questionnaire files [(name, text)] all or nothing; return the instruments.

    A file whose url and version are already imported replaces that instrument's content
    and keeps whether it is offered (a retired instrument stays retired). A new version of
    an imported url is offered instead of the versions before it: those are retired
    (audited), and still show and score their responses. Versions compare by number
    (1.10.0 comes after 1.9.0): an older version imported after a newer one retires
    nothing; it is kept retired (audited, and the administrator is told) and the newer
    one stays offered.
    Raise engine.InstrumentError listing every problem of every file; nothing is saved then.
    Each returned instrument carries `import_notes`: what the administrator should know
    (a canonical derived from the LOINC code, a file that computes no score or sets no
    cut-off, a shipped instrument with the same code that does, a second active
    instrument with the same code, older versions retired).
    """
    checked = []
    problems: list[str] = []
    for name, text in files:
        notes: list[str] = []
        try:
            data = engine.check_questionnaire(text, source=name, notes=notes)
        except engine.InstrumentError as exc:
            problems += [p if p.startswith(name) else f"{name}: {p}" for p in exc.problems]
            continue
        checked.append((name, data, notes + [f"{name}: {n}" for n in engine.scoring_notes(data)]))
    if problems:
        raise engine.InstrumentError(problems)
    out = []
    for name, data, notes in checked:
        info = engine.meta(data)
        instrument, created = Instrument.objects.update_or_create(
            url=info["url"], version=info["version"],
            defaults={
                "name": info["name"], "title": info["title"], "code": info["code"],
                "resource": data, "sensitive": info["sensitive"],
                "wording_verified": info["wording_verified"],
                "imported_at": timezone.now(), "imported_by": by if not isinstance(by, str) else None,
            },
        )
        record(
            by=by, action="screening.instrument.import", obj=instrument,
            detail={"url": info["url"], "version": info["version"], "new": created},
        )
        superseded = []
        if created:
            others = list(Instrument.objects.filter(url=instrument.url, active=True)
                          .exclude(pk=instrument.pk).order_by("pk"))
            mine = rescore.version_key(instrument.version)
            newer = [other for other in others if rescore.version_key(other.version) >= mine]
            if newer:
                # An older version (or the same one under another spelling) imported after a
                # newer one: kept for its responses, never offered in place of the newer one.
                offered = ", ".join(other.version or "(none)" for other in newer)
                set_instrument_active(by=by, instrument=instrument, active=False,
                                      reason=f"older than version {offered}, which stays offered")
                instrument.refresh_from_db(fields=["active"])
                notes.append(
                    f"{name}: version {instrument.version or '(none)'} is older than version {offered} of"
                    " the same instrument, which stays offered; it is imported retired (activate it to"
                    " offer it as well)."
                )
            else:
                for previous in others:
                    set_instrument_active(by=by, instrument=previous, active=False,
                                          reason=f"superseded by version {instrument.version or '(none)'}")
                    superseded.append(previous.version or "(none)")
        elif not instrument.active:
            notes.append(f"{name}: this version is retired and stays retired; activate it to offer it again.")
        if superseded:
            notes.append(
                f"{name}: version {instrument.version or '(none)'} is offered from now on; version"
                f" {', '.join(superseded)} of the same instrument is retired (its responses still show)."
            )
        instrument.import_notes = notes + [f"{name}: {n}" for n in _overlap_notes(instrument, data)]
        out.append(instrument)
    return out


@transaction.atomic
def set_instrument_active(
    *, by: Any, instrument: Instrument, active: bool, reason: str = "", ip: str = ""
) -> Instrument:
    """Offer an instrument in new sessions again (active) or retire it; audited when it changes.

    A retired instrument is not offered to start; a response to it paused in a session
    may still be finished, and every response to it still shows and scores.
    """
    instrument = Instrument.objects.select_for_update().get(pk=instrument.pk)
    if instrument.active == active:
        return instrument
    instrument.active = active
    instrument.save(update_fields=["active"])
    record(
        by=by, action="screening.instrument.activate" if active else "screening.instrument.retire",
        obj=instrument, reason=reason, ip=ip,
        detail={"url": instrument.url, "version": instrument.version},
    )
    return instrument


def _overlap_notes(instrument: Instrument, data: dict) -> list[str]:
    """Return notes about other instruments with the same LOINC panel code."""
    if not instrument.code:
        return []
    notes = []
    for _file, text in shipped_instrument_files():
        shipped = json.loads(text)
        info = engine.meta(shipped)
        if info["code"] != instrument.code or info["url"] == instrument.url:
            continue
        acts = [what for what, present in (
            ("a score", engine.has_scoring(shipped) and not engine.has_scoring(data)),
            ("cut-offs", engine.has_cut_off(shipped) and not engine.has_cut_off(data)),
            ("a same-visit safety rule", engine.has_safety_rule(shipped) and not engine.has_safety_rule(data)),
        ) if present]
        if acts:
            notes.append(
                f"Safe Haven ships '{info['title']}' with the same LOINC code {instrument.code}; it"
                f" has {', '.join(acts)} that this file lacks. Keep that one active if Safe Haven"
                " should act on the results."
            )
    others = Instrument.objects.filter(code=instrument.code, active=True).exclude(pk=instrument.pk)
    if not instrument.active:
        return notes
    titles = [f"'{title}'" for title in others.values_list("title", flat=True)]
    if titles:
        notes.append(
            f"{', '.join(titles)} has the same LOINC code {instrument.code} and is active too:"
            " both will be offered. Retire the one not to offer on the instruments page (or with"
            " `safehaven instruments retire`)."
        )
    return notes


def shipped_instrument_files() -> list[tuple[str, str]]:
    """Return the instrument files shipped with the product, as [(name, text)]."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "instruments"
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


# --- PEARR sessions ------------------------------------------------------------------------

@transaction.atomic
def start_session(
    *, by: Any, person: Person, encounter: Encounter | None = None, mode: str = "staff", ip: str = ""
) -> ScreeningSession:
    """Open the PEARR steps for a visit."""
    if mode not in {"staff", "self"}:
        raise StepError("unknown mode")
    session = ScreeningSession.objects.create(
        person=person, encounter=encounter, site=person.site, started_by=by, mode=mode,
        jurisdiction=person.site.jurisdiction, minor=person.is_minor,
    )
    record(by=by, action="screening.session.start", obj=session, person=person, ip=ip)
    return session


def _open(session: ScreeningSession) -> None:
    if session.status != "in-progress":
        raise StepError("This screening session is closed. Start a new one at a later visit.")


@transaction.atomic
def record_privacy(*, by: Any, session: ScreeningSession, alone: bool, ip: str = "") -> ScreeningSession:
    """Record the privacy check: is the person alone now?"""
    _open(session)
    session.alone = alone
    session.privacy_checked_at = timezone.now()
    session.save(update_fields=["alone", "privacy_checked_at"])
    record(by=by, action="screening.session.privacy", obj=session, person=session.person, ip=ip)
    return session


@transaction.atomic
def record_confidentiality(*, by: Any, session: ScreeningSession, ip: str = "") -> ScreeningSession:
    """Record that the limits of confidentiality were explained (after the privacy check)."""
    _open(session)
    if session.privacy_checked_at is None:
        raise StepError("Do the privacy check first.")
    session.confidentiality_explained_at = timezone.now()
    session.save(update_fields=["confidentiality_explained_at"])
    record(
        by=by, action="screening.session.confidentiality", obj=session, person=session.person,
        detail={"jurisdiction": session.jurisdiction, "minor": session.minor}, ip=ip,
    )
    return session


@transaction.atomic
def record_education(
    *, by: Any, session: ScreeningSession, accepted: bool, ip: str = ""
) -> ScreeningSession:
    """Record that universal education was offered to the person (and whether they took it)."""
    _open(session)
    if session.privacy_checked_at is None:
        raise StepError("Do the privacy check first.")
    session.education_offered_at = timezone.now()
    session.education_accepted = accepted
    session.save(update_fields=["education_offered_at", "education_accepted"])
    record(by=by, action="screening.session.education", obj=session, person=session.person, ip=ip)
    return session


@transaction.atomic
def close_session(
    *, by: Any, session: ScreeningSession, outcome: str, note: str = "", ip: str = ""
) -> ScreeningSession:
    """Close a session: "completed", "declined" or "deferred" (offered again at a later visit)."""
    statuses = {"completed": "completed", "declined": "cancelled", "deferred": "on-hold"}
    if outcome not in statuses:
        raise StepError("unknown outcome")
    _open(session)
    session.status = statuses[outcome]
    session.outcome_note = note
    session.ended_at = timezone.now()
    session.save(update_fields=["status", "outcome_note", "ended_at"])
    if outcome != "completed":
        session.responses.filter(status="in-progress").update(
            status="stopped", outcome=outcome, updated_at=session.ended_at)
    record(
        by=by, action=f"screening.session.{outcome}", obj=session, person=session.person, ip=ip
    )
    return session


def may_offer(session: ScreeningSession, instrument: Instrument) -> bool:
    """Return whether the instrument may be offered in this session now."""
    if session.status != "in-progress" or session.privacy_checked_at is None:
        return False
    return session.sensitive_allowed or not instrument.sensitive


# engine.Score.status -> ScreeningResponse.outcome
RESULT_OUTCOMES = {"complete": "completed", "incomplete": "incomplete", "declined": "declined"}


@transaction.atomic
def record_response(
    *,
    by: Any,
    session: ScreeningSession,
    instrument: Instrument,
    raw: dict[str, Any],
    declined_items: set[str] | None = None,
    pause: bool = False,
    source: str = "staff",
    ip: str = "",
) -> ScreeningResponse:
    """Save answers to an instrument; when not paused, score them and open what follows.

    A positive result opens a response task; a safety rule (PHQ-9 item 9 above 0) opens a
    same-visit safety task whatever the total; a positive youth screen about a minor opens
    the mandatory-report record. A response with no question answered is recorded as
    declined, one without a total its instrument's rules require as incomplete; the
    total is then kept as absent with the reason, never as 0. An incomplete response
    whose answers already reach the cut-off is positive all the same ("at least N"), and
    opens what a positive one opens. Raise StepError when the
    instrument may not be offered (a retired one only finishes a response paused here).
    """
    _open(session)
    if not may_offer(session, instrument):
        raise StepError("These questions cannot be offered yet.")
    questionnaire = instrument.resource
    response_json, problems = engine.build_response(
        questionnaire, raw, declined=declined_items,
        status="in-progress" if pause else "completed",
    )
    if problems:
        raise StepError("Some answers are not valid: " + ", ".join(problems))
    paused = (
        ScreeningResponse.objects.select_for_update()
        .filter(session=session, instrument=instrument, status="in-progress")
        .order_by("-id")  # the (session, instrument, status) index, newest first, no sort
        .first()
    )
    if paused is None and not instrument.active:
        raise StepError("These questions are retired and are no longer offered.")
    response = paused or ScreeningResponse(
        person=session.person, session=session, instrument=instrument, author=by, source=source
    )
    response.authored_at = timezone.now()
    if pause:
        response.status = "in-progress"
        response.outcome = "offered"
        response.answers = json.dumps(response_json)
        response.save()
        record(by=by, action="screening.response.pause", obj=response, person=session.person, ip=ip)
        return response
    result = engine.score(questionnaire, response_json)
    response.status = "completed"
    response.outcome = RESULT_OUTCOMES[result.status]
    response.positive = result.positive or result.safety
    response.answered, response.asked = result.answered, result.asked
    response.answers = json.dumps(response_json)
    response.save()
    for calc in result.calculated:
        # A total the rules do not give is kept as absent, with why: never as a 0.
        absent = rescore.absent_reason(result, calc)
        ScoredResult.objects.create(
            person=session.person, response=response, system=calc.system, code=calc.code,
            display=calc.display[:200], value=calc.value, at_least=calc.at_least,
            data_absent_reason=absent, interpretation=calc.interpretation[:200],
            positive=calc.positive, effective_at=response.authored_at,
        )
    if result.safety:
        ResponseTask.objects.create(
            person=session.person, response=response, session=session, reason="safety",
            priority="stat", created_by=by,
        )
    elif result.positive:
        ResponseTask.objects.create(
            person=session.person, response=response, session=session, reason="positive_screen",
            priority="urgent" if instrument.sensitive else "routine", created_by=by,
        )
    if result.positive and result.youth_screen and session.person.is_minor:
        _open_report(by=by, person=session.person, session=session, response=response)
    record(
        by=by, action="screening.response.complete", obj=response, person=session.person, ip=ip,
        detail={"instrument": instrument.name, "positive": response.positive, "safety": result.safety,
                "result": result.status},
    )
    return response


@transaction.atomic
def correct_scores(
    *, by: Any, reason: str, response_ids: list[int], targets: dict[int, Instrument] | None = None
) -> list[rescore.Correction]:
    """Correct the scored results of these responses under their instrument's newer rules.

    As a clinical record is corrected: each result that differs is kept with its figures
    and marked entered-in-error, and the corrected one is a new result, amended, that
    replaces it. The response's outcome (declined, incomplete), counts and calculated
    answers follow the newer rules; a response that was positive stays positive, and its
    follow-up as it was (under the 1.0.0 rules a skipped question only ever lowered a
    total, so the questions answered alone reached the cut-off; a clinician, not this
    correction, decides otherwise).
    A response that turns positive, or meets a safety rule no follow-up answered, gets a
    review task for the person's care team: nothing is decided for them here. One audit
    event per corrected response. All in one transaction: a batch is corrected whole,
    with its audit events, or not at all. Responses already corrected, or whose answers
    do not fit the newer version, are left as they are: running it again changes nothing.
    `by` is the member of staff who ran it, or a label such as "cli"; `reason` is required.
    """
    if not reason.strip():
        raise StepError("Say why the scores are corrected.")
    target_map = rescore.targets() if targets is None else targets
    responses = rescore.load(response_ids).select_for_update(of=("self",))
    user = None if by is None or isinstance(by, str) else by
    done = []
    for response in responses:
        target = target_map.get(response.instrument_id)
        correction = rescore.check(response, target) if target is not None else None
        if correction is None or not correction.fits:
            continue
        score = correction.score
        replaced, amended = [], []
        for old, calc in correction.changes:
            old.status = "entered-in-error"
            old.save(update_fields=["status", "updated_at"])
            new = ScoredResult.objects.create(
                person_id=response.person_id, response=response, system=calc.system, code=calc.code,
                display=calc.display[:200], value=calc.value, at_least=calc.at_least,
                data_absent_reason=rescore.absent_reason(score, calc),
                interpretation=calc.interpretation[:200], positive=calc.positive, status="amended",
                effective_at=old.effective_at, replaces=old,
            )
            replaced.append(str(old.public_id))
            amended.append(str(new.public_id))
        response.outcome = RESULT_OUTCOMES[score.status]
        response.positive = response.positive or score.positive or score.safety
        response.answered, response.asked = score.answered, score.asked
        response.answers = json.dumps(correction.body)
        response.save(update_fields=["outcome", "positive", "answered", "asked", "answers", "updated_at"])
        task = None
        if correction.review and not any(t.reason == "review" for t in response.tasks.all()):
            task = ResponseTask.objects.create(
                person_id=response.person_id, response=response, session_id=response.session_id,
                reason="review",
                priority="urgent" if "safety" in correction.kinds or response.instrument.sensitive else "routine",
                created_by=user,
            )
        record(
            by=by, action="screening.response.rescore", obj=response, person=response.person,
            reason=reason,
            detail={"instrument": response.instrument.name, "version": response.instrument.version,
                    "rules_version": correction.target.version, "changes": correction.kinds,
                    "result": score.status, "entered_in_error": replaced, "amended": amended,
                    "review_task": str(task.public_id) if task else ""},
        )
        done.append(correction)
    return done


def _open_report(*, by: Any, person: Person, session=None, response=None) -> MandatoryReport:
    existing = MandatoryReport.objects.filter(person=person, status="requested").first()
    if existing is not None:
        return existing
    rule = rule_for(person.site.jurisdiction)
    report = MandatoryReport.objects.create(
        person=person, session=session, response=response, jurisdiction=person.site.jurisdiction,
        due_by=timezone.now() + datetime.timedelta(hours=rule.hours), agency=rule.agency,
        opened_by=by,
    )
    record(by=by, action="screening.report.open", obj=report, person=person)
    return report


@transaction.atomic
def record_disclosure(
    *, by: Any, person: Person, session: ScreeningSession | None = None, ip: str = ""
) -> ResponseTask:
    """Record that the person shared something: open a private follow-up (and a report for a minor)."""
    task = ResponseTask.objects.create(
        person=person, session=session, reason="disclosure", priority="urgent", created_by=by
    )
    if person.is_minor:
        _open_report(by=by, person=person, session=session)
    record(by=by, action="screening.disclosure", obj=task, person=person, ip=ip)
    return task


@transaction.atomic
def update_task(
    *, by: Any, task: ResponseTask, status: str, resources_offered: str = "", choices: str = "",
    owner: Any = None, ip: str = "",
) -> ResponseTask:
    """Record the follow-up conversation: resources offered, the person's choices, status."""
    if status not in dict(ResponseTask.STATUSES):
        raise StepError("unknown status")
    task.status = status
    if resources_offered:
        task.resources_offered = resources_offered
    if choices:
        task.choices = choices
    if owner is not None:
        task.owner = owner
    task.save()
    record(by=by, action="screening.task.update", obj=task, person=task.person, ip=ip,
           detail={"status": status})
    return task


@transaction.atomic
def record_health_concern(
    *,
    by: Any,
    person: Person,
    code: str,
    decided_with_person: bool,
    in_record: bool,
    on_printouts: bool = False,
    on_portal: bool = False,
    on_claims: bool = False,
    on_exports: bool = False,
    note: str = "",
    task: ResponseTask | None = None,
    ip: str = "",
) -> HealthConcern:
    """Record a trafficking-related health concern exactly as the person decided.

    The decision must have been made with the person. When they do not want it in the
    record, only the decision is kept (no code) and every channel is closed.
    """
    labels = dict(CONCERN_CODES)
    if code not in labels:
        raise StepError("Choose one of the listed codes.")
    if not decided_with_person:
        raise StepError("Decide with the person first how this is written down and where it may appear.")
    if not in_record:
        on_printouts = on_portal = on_claims = on_exports = False
    verification = "confirmed" if code.startswith("T74") else (
        "refuted" if code.startswith("Z04") else ("unconfirmed" if code.startswith("T76") else "confirmed")
    )
    concern = HealthConcern.objects.create(
        person=person, task=task, code=code if in_record else "",
        display=str(labels[code]) if in_record else "", verification=verification if in_record else "",
        in_record=in_record, on_printouts=on_printouts, on_portal=on_portal, on_claims=on_claims,
        on_exports=on_exports, decided_with_person=True, note=note, recorded_by=by,
    )
    record(
        by=by, action="screening.concern.record", obj=concern, person=person, ip=ip,
        detail={"in_record": in_record, "printouts": on_printouts, "portal": on_portal,
                "claims": on_claims, "exports": on_exports},
    )
    return concern


@transaction.atomic
def update_report(
    *, by: Any, report: MandatoryReport, reporter: Any, reference: str = "", agency: str = "",
    reported: bool = False, young_person_told: bool = False, ip: str = "",
) -> MandatoryReport:
    """Record who reports, the reference, and that the young person was told."""
    report.reporter = reporter
    if agency:
        report.agency = agency
    if reference:
        report.reference = reference
    if reported and report.reported_at is None:
        report.reported_at = timezone.now()
    if young_person_told and not report.young_person_told:
        report.young_person_told = True
        report.told_at = timezone.now()
    if report.reported_at and report.young_person_told and report.reference:
        report.status = "completed"
    report.save()
    record(by=by, action="screening.report.update", obj=report, person=report.person, ip=ip,
           detail={"status": report.status, "told": report.young_person_told})
    return report


@transaction.atomic
def record_cues(
    *, by: Any, person: Person, cues: list[str], offered: str, note: str = "",
    encounter: Encounter | None = None, ip: str = "",
) -> CueObservation:
    """Record cues noticed and what was offered; never a label."""
    unknown = [c for c in cues if c not in CUE_CODES]
    if unknown or offered not in dict(CueObservation.OFFERS):
        raise StepError("unknown cue or offer")
    observation = CueObservation.objects.create(
        person=person, encounter=encounter, cues=sorted(set(cues)), offered=offered, note=note,
        observed_by=by,
    )
    record(by=by, action="screening.cues.record", obj=observation, person=person, ip=ip,
           detail={"count": len(observation.cues), "offered": offered})
    return observation
