"""Screening pages: PEARR steps, questions (staff and tablet), follow-up, reports, print."""

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safehaven.access.gate import client_ip, get_encounter_for, get_person_for, require_perm
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.consent.models import DATA_CATEGORIES
from safehaven.core.idempotency import create_once, previous_result
from safehaven.screening import actions, engine, forms
from safehaven.screening.models import (
    Instrument,
    MandatoryReport,
    ResponseTask,
    ScoredResult,
    ScreeningResponse,
    ScreeningSession,
)

PREFER_NOT = "__prefer_not__"
CATEGORY_LABELS = dict(DATA_CATEGORIES)


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        raise Http404("No such record") from None


def _load(model, request, public_id, *, need, action, related=("person",)):
    """Return an object of model through the gatekeeper of its person (404 outside the team)."""
    require_perm(request.user, need)
    obj = model.objects.select_related(*related).filter(public_id=_uuid(public_id)).first()
    if obj is None:
        raise Http404("No such record")
    obj.person = get_person_for(
        request.user, obj.person.public_id, need=need, action=action, request=request
    )
    return obj


# --- instruments (administrators) ---------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def instruments(request):
    """List instruments and import a Questionnaire file (all or nothing)."""
    require_perm(request.user, Perm.MANAGE_CLINIC)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["files"]
            if upload.size > 2_000_000:
                problems = [_("The file is larger than 2 MB.")]
            else:
                try:
                    imported = actions.import_instruments(
                        by=request.user, files=[(upload.name[:100], upload.read())]
                    )
                    messages.success(request, _("Imported: %(titles)s") % {
                        "titles": ", ".join(i.title for i in imported)})
                    for instrument in imported:
                        for note in getattr(instrument, "import_notes", []):
                            messages.warning(request, note)
                    return redirect("screening:instruments")
                except engine.InstrumentError as exc:
                    problems = exc.problems
        status = 400
    return _instruments_page(request, form=form, problems=problems, status=status)


def _instruments_page(request, *, form=None, problems=(), error="", status=200):
    rows = []
    for instrument in Instrument.objects.order_by("title", "url", "version"):
        resource = instrument.resource
        if not engine.has_scoring(resource):
            scoring = _("No score calculated: staff may enter a total; nothing opens a follow-up")
        elif engine.has_cut_off(resource):
            scoring = _("Scored by the file's rules, with a cut-off")
        else:
            scoring = _("Scored by the file's rules; no cut-off, nothing opens a follow-up")
        rows.append({
            "public_id": instrument.public_id,
            "title": instrument.title, "url": instrument.url, "version": instrument.version,
            "code": instrument.code, "sensitive": instrument.sensitive,
            "wording_verified": instrument.wording_verified, "active": instrument.active,
            "scoring": scoring,
            "categories": [CATEGORY_LABELS.get(c, c) for c in engine.data_categories(resource)],
            "translations": [{"lang": lang, "verified": verified}
                             for lang, verified in engine.translations(resource).items()],
        })
    return render(request, "screening/instruments.html",
                  {"form": form or forms.ImportForm(), "problems": list(problems), "error": error,
                   "instruments": rows},
                  status=status)


@login_required
@require_POST
def instrument_status(request, instrument_id):
    """Retire an instrument (no longer offered in new sessions) or offer it again."""
    require_perm(request.user, Perm.MANAGE_CLINIC)
    instrument = Instrument.objects.filter(public_id=_uuid(instrument_id)).first()
    if instrument is None:
        raise Http404("No such record")
    if (prior := previous_result(request)) is not None:
        return prior
    form = forms.InstrumentStatusForm(request.POST)
    if not form.is_valid():
        return _instruments_page(request, error=_("Choose whether to retire the instrument or offer it."),
                                 status=400)
    active = form.cleaned_data["active"] == "1"

    def change():
        changed = actions.set_instrument_active(by=request.user, instrument=instrument, active=active,
                                                ip=client_ip(request))
        text = _("%(title)s (version %(version)s) is offered in new sessions.") if active else _(
            "%(title)s (version %(version)s) is retired: it is no longer offered; its responses still show.")
        messages.success(request, text % {"title": changed.title, "version": changed.version or "—"})
        return changed

    return create_once(request, change, lambda _i: reverse("screening:instruments"))


# --- PEARR session ------------------------------------------------------------------------

@login_required
@require_POST
def start(request, public_id):
    """Start the PEARR steps for a person (optionally within an encounter)."""
    person = get_person_for(request.user, public_id, need=Perm.SCREEN, action="screening.start",
                            request=request, audit=False)
    encounter = None
    if request.POST.get("encounter"):
        encounter = get_encounter_for(request.user, request.POST["encounter"], need=Perm.SCREEN,
                                      request=request)
        if encounter.person.pk != person.pk:
            raise Http404("No such record")
    mode = "self" if request.POST.get("mode") == "self" else "staff"
    session = actions.start_session(by=request.user, person=person, encounter=encounter, mode=mode,
                                    ip=client_ip(request))
    return redirect("screening:session", public_id=session.public_id)


def _offerable(session):
    """Return the instruments to offer now (sensitive ones only when allowed), with done flags.

    Retired instruments are left out, except one with a response paused in this session.
    """
    done = set(session.responses.filter(status="completed").values_list("instrument_id", flat=True))
    paused = session.responses.filter(status="in-progress").values("instrument_id")
    out = []
    offered = Instrument.objects.filter(Q(active=True) | Q(pk__in=paused)).order_by("title")
    for instrument in offered:
        if not actions.may_offer(session, instrument):
            continue
        out.append({"instrument": instrument, "done": instrument.pk in done})
    return out


def _shown_results():
    """Prefetch a response's scored results as staff see them: not those entered in error."""
    return Prefetch("results", queryset=ScoredResult.objects.exclude(status="entered-in-error"))


def _session_context(session):
    rule = actions.rule_for(session.jurisdiction)
    responses = list(
        session.responses.select_related("instrument").prefetch_related(_shown_results()).order_by("authored_at")
    )
    for response in responses:
        # A safety question left unanswered: staff are prompted to ask in person. Worked out
        # from the answers each time the page is shown; nothing about it is stored.
        response.unanswered_safety = (
            engine.unanswered_safety_questions(response.instrument.resource, json.loads(response.answers))
            if response.status == "completed" and response.answers else []
        )
    return {
        "session": session,
        "person": session.person,
        "privacy_form": forms.PrivacyForm(),
        "education_form": forms.EducationForm(),
        "close_form": forms.CloseForm(),
        "explanation": rule.explanation if session.minor else actions.ADULT_EXPLANATION,
        "minor_explanation": rule.explanation,
        "offerable": _offerable(session) if session.privacy_checked_at else [],
        "responses": responses,
        "tasks": list(session.tasks.all()),
    }


@login_required
@require_http_methods(["GET", "POST"])
def session_view(request, public_id):
    """Show the PEARR steps of a session and take each step."""
    session = _load(ScreeningSession, request, public_id, need=Perm.SCREEN,
                    action="screening.session.view", related=("person", "person__site"))
    if request.method == "GET":
        return render(request, "screening/session.html", _session_context(session))
    step = request.POST.get("step", "")
    ip = client_ip(request)
    error = ""
    try:
        if step == "privacy":
            form = forms.PrivacyForm(request.POST)
            if form.is_valid():
                actions.record_privacy(by=request.user, session=session,
                                       alone=form.cleaned_data["alone"] == "yes", ip=ip)
                return redirect("screening:session", public_id=session.public_id)
            error = _("Answer the privacy question.")
        elif step == "confidentiality":
            if request.POST.get("explained") != "yes":
                error = _("Tick the box once you have explained the limits of confidentiality.")
            else:
                actions.record_confidentiality(by=request.user, session=session, ip=ip)
                return redirect("screening:session", public_id=session.public_id)
        elif step == "education":
            form = forms.EducationForm(request.POST)
            if form.is_valid():
                actions.record_education(by=request.user, session=session,
                                         accepted=form.cleaned_data["accepted"] == "yes", ip=ip)
                return redirect("screening:session", public_id=session.public_id)
            error = _("Say whether they took the information.")
        elif step == "close":
            form = forms.CloseForm(request.POST)
            if form.is_valid():
                actions.close_session(by=request.user, session=session,
                                      outcome=form.cleaned_data["outcome"],
                                      note=form.cleaned_data["note"], ip=ip)
                messages.success(request, _("Saved. Nothing else is needed today."))
                return redirect("people:chart", public_id=session.person.public_id)
            error = _("Choose how the session ends.")
        elif step == "disclosure":
            task = actions.record_disclosure(by=request.user, person=session.person, session=session,
                                             ip=ip)
            return redirect("screening:task", public_id=task.public_id)
        else:
            error = _("Unknown step.")
    except actions.StepError as exc:
        error = str(exc)
    context = _session_context(session)
    context["error"] = error
    return render(request, "screening/session.html", context, status=400)


def _items_for_display(instrument, lang: str, answers: dict | None = None, *, tablet: bool = False):
    """Return the items of an instrument ready for the template, in the language lang.

    Item text and answer labels use the Questionnaire's translations for lang when it has
    them. On the tablet, score fields left for staff are not shown.
    """
    out = []
    items = engine.answerable_items(instrument.resource, self_administered=tablet)
    for index, item in enumerate(items):
        options = []
        for opt_index, option in enumerate(item.get("answerOption") or []):
            key = next((k for k in option if k.startswith("value")), "")
            value = option.get(key, "")
            if isinstance(value, dict):
                label = engine.translated(value, "display", lang) or value.get("code", "")
            elif key == "valueString":
                label = engine.translated(option, "valueString", lang)
            else:
                label = value
            options.append({"value": str(opt_index), "label": label})
        if item.get("type") == "boolean":
            options = [{"value": "true", "label": _("Yes")}, {"value": "false", "label": _("No")}]
        out.append({
            "index": index,
            "name": f"a{index}",
            "link_id": item["linkId"],
            "text": engine.translated(item, "text", lang),
            "type": item.get("type"),
            "options": options,
            "current": (answers or {}).get(item["linkId"], ""),
            "conditional": bool(item.get("enableWhen")),
        })
    return out


def _displays(instrument, lang: str) -> list[str]:
    return [engine.translated(i, "text", lang) for i in instrument.resource.get("item") or []
            if i.get("type") == "display"]


def _posted_answers(request, items):
    raw, declined = {}, set()
    for item in items:
        value = request.POST.get(item["name"], "")[:2000]
        if value == PREFER_NOT:
            declined.add(item["link_id"])
        elif value:
            raw[item["link_id"]] = value
    return raw, declined


def _saved_answers(response) -> dict:
    """Return {linkId: form value} from a paused response, to fill the form again."""
    if response is None or not response.answers:
        return {}
    data = json.loads(response.answers)
    out = {}
    items = {i["linkId"]: i for i in engine.answerable_items(response.instrument.resource)}
    for _where, item in engine._walk_items(data.get("item") or []):
        link = item.get("linkId")
        if link not in items:
            continue
        if item.get("extension"):
            out[link] = PREFER_NOT
        for answer in item.get("answer") or []:
            if "valueBoolean" in answer:
                out[link] = "true" if answer["valueBoolean"] else "false"
            elif "valueCoding" in answer:
                for idx, opt in enumerate(items[link].get("answerOption") or []):
                    if (opt.get("valueCoding") or {}).get("code") == answer["valueCoding"].get("code"):
                        out[link] = str(idx)
            else:
                out[link] = str(next(iter(answer.values())))
    return out


def _ask(request, session_id, instrument_id, *, tablet: bool):
    session = _load(ScreeningSession, request, session_id, need=Perm.SCREEN,
                    action="screening.questions.view", related=("person", "person__site"))
    instrument = Instrument.objects.filter(public_id=_uuid(instrument_id)).first()
    if instrument is None or not actions.may_offer(session, instrument):
        raise Http404("No such record")
    lang = session.person.preferred_language if tablet else translation.get_language()
    lang = lang if lang in {"en", "es", "fr"} else "en"
    # Served by the (session, instrument, status) index; ordering by id (newest first) lets
    # SQLite read the index backwards instead of sorting by authored_at.
    paused = session.responses.select_related("instrument").filter(
        instrument=instrument, status="in-progress").order_by("-id").first()
    if not instrument.active and paused is None:
        raise Http404("No such record")  # retired: only a response paused here is finished
    with translation.override(lang):  # the Yes / No labels too
        items = _items_for_display(instrument, lang, _saved_answers(paused), tablet=tablet)
    template = "screening/tablet_questions.html" if tablet else "screening/questions.html"
    context = {"session": session, "instrument": instrument, "items": items,
               "displays": _displays(instrument, lang), "prefer_not": PREFER_NOT, "tablet": tablet}
    if request.method == "POST":
        raw, declined = _posted_answers(request, items)
        pause = request.POST.get("pause") == "1"
        try:
            actions.record_response(
                by=request.user, session=session, instrument=instrument, raw=raw,
                declined_items=declined, pause=pause, source="self" if tablet else "staff",
                ip=client_ip(request),
            )
        except actions.StepError as exc:
            for item in items:
                item["current"] = request.POST.get(item["name"], "")
            with translation.override(lang):
                # The person on the tablet gets a plain message in their language, not linkIds.
                error = _("Some answers could not be saved. Please check them and try again.") \
                    if tablet else str(exc)
                context.update(items=items, error=error)
                return render(request, template, context, status=400)
        if tablet:
            if pause or request.POST.get("handback") == "1":
                return redirect("screening:handback", public_id=session.public_id)
            return redirect("screening:tablet", public_id=session.public_id)
        return redirect("screening:session", public_id=session.public_id)
    with translation.override(lang):
        return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def ask(request, public_id, instrument_id):
    """Ask an instrument's questions (staff mode). Every question can be skipped."""
    return _ask(request, public_id, instrument_id, tablet=False)


@login_required
@require_http_methods(["GET", "POST"])
def tablet_ask(request, public_id, instrument_id):
    """Questions on the tablet, in the person's language."""
    return _ask(request, public_id, instrument_id, tablet=True)


@login_required
def tablet(request, public_id):
    """The person's own screen: neutral title, no staff navigation, quick exit stays."""
    session = _load(ScreeningSession, request, public_id, need=Perm.SCREEN,
                    action="screening.tablet.view", related=("person", "person__site"))
    if session.status != "in-progress" or session.privacy_checked_at is None:
        raise Http404("No such record")
    from safehaven.accounts.middleware import enter_kiosk

    base = f"/screening/sessions/{session.public_id}/"
    enter_kiosk(
        request,
        allowed=[base + "tablet/", base + "hand-back/"],
        home=reverse("screening:tablet", args=[session.public_id]),
        resume=reverse("screening:session", args=[session.public_id]),
    )
    lang = session.person.preferred_language
    lang = lang if lang in {"en", "es", "fr"} else "en"
    with translation.override(lang):
        return render(request, "screening/tablet.html",
                      {"session": session, "offerable": _offerable(session)})


@login_required
def handback(request, public_id):
    """Ask the person to hand the tablet back; show none of the answers."""
    session = _load(ScreeningSession, request, public_id, need=Perm.SCREEN,
                    action="screening.tablet.handback", related=("person", "person__site"))
    lang = session.person.preferred_language
    lang = lang if lang in {"en", "es", "fr"} else "en"
    with translation.override(lang):
        return render(request, "screening/handback.html", {"session": session})


# --- responding ------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def task_view(request, public_id):
    """A private follow-up: resources offered, the person's choices, and the documentation decision."""
    task = _load(ResponseTask, request, public_id, need=Perm.SCREEN, action="screening.task.view",
                 related=("person", "person__site", "response__instrument"))
    form = forms.TaskForm(request.POST or None, initial={"status": task.status})
    concern_form = forms.ConcernForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "concern":
            concern_form = forms.ConcernForm(request.POST)
            form = forms.TaskForm(initial={"status": task.status})
            if concern_form.is_valid():
                data = concern_form.cleaned_data
                actions.record_health_concern(
                    by=request.user, person=task.person, task=task, code=data["code"],
                    decided_with_person=True, in_record=data["in_record"],
                    on_printouts=data["on_printouts"], on_portal=data["on_portal"],
                    on_claims=data["on_claims"], on_exports=data["on_exports"], note=data["note"],
                    ip=client_ip(request),
                )
                messages.success(request, _("The person's decision is recorded."))
                return redirect("screening:task", public_id=task.public_id)
        elif form.is_valid():
            data = form.cleaned_data
            actions.update_task(by=request.user, task=task, status=data["status"],
                                resources_offered=data["resources_offered"], choices=data["choices"],
                                owner=request.user, ip=client_ip(request))
            messages.success(request, _("Saved."))
            return redirect("screening:task", public_id=task.public_id)
        status = 400
    concerns = list(task.concerns.order_by("-recorded_at"))
    reports = list(MandatoryReport.objects.filter(person=task.person, status="requested"))
    return render(request, "screening/task.html",
                  {"task": task, "person": task.person, "form": form, "concern_form": concern_form,
                   "concerns": concerns, "reports": reports}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def report_view(request, public_id):
    """The mandatory-report record: who reports, by when, the reference, the young person told."""
    report = _load(MandatoryReport, request, public_id, need=Perm.SCREEN,
                   action="screening.report.view", related=("person", "person__site", "reporter"))
    form = forms.ReportForm(request.POST or None, initial={"agency": report.agency})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            actions.update_report(by=request.user, report=report, reporter=request.user,
                                  reference=data["reference"], agency=data["agency"],
                                  reported=data["reported"],
                                  young_person_told=data["young_person_told"], ip=client_ip(request))
            messages.success(request, _("Saved."))
            return redirect("screening:report", public_id=report.public_id)
        return render(request, "screening/report.html",
                      {"report": report, "person": report.person, "form": form}, status=400)
    return render(request, "screening/report.html", {"report": report, "person": report.person, "form": form})


@login_required
@require_POST
def cues(request, public_id):
    """Record cues noticed and what was offered (from the chart panel)."""
    person = get_person_for(request.user, public_id, need=Perm.SCREEN, action="screening.cues",
                            request=request, audit=False)
    form = forms.CueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what you offered."))
        return redirect("people:chart", public_id=person.public_id)
    data = form.cleaned_data
    actions.record_cues(by=request.user, person=person, cues=data["cues"], offered=data["offered"],
                        note=data["note"], ip=client_ip(request))
    messages.success(request, _("Noted."))
    return redirect("people:chart", public_id=person.public_id)


@login_required
def visit_summary(request, public_id):
    """A printed visit summary for the person (PDF). Labelled concerns appear only if allowed."""
    from safehaven.consent.decision import Recipient, log_disclosure, may_disclose
    from safehaven.screening.queries import concerns_for_channel

    encounter = get_encounter_for(request.user, public_id, need=Perm.VIEW_CLINICAL,
                                  action="screening.summary.print", request=request)
    person = encounter.person
    concerns = concerns_for_channel(person, "printout")
    categories = ["clinical_summary"] + (["trafficking_related"] if concerns else [])
    decision = may_disclose(person, Recipient.the_person(), "treatment", categories)
    if not decision.allowed:
        raise Http404("No such record")
    results = list(
        ScreeningResponse.objects.filter(
            session__encounter=encounter, status="completed", instrument__sensitive=False
        )
        .select_related("instrument").prefetch_related(_shown_results())
    )
    html = render(request, "screening/summary_pdf.html",
                  {"encounter": encounter, "person": person, "concerns": concerns,
                   "responses": results}).content.decode()
    from safehaven.core.pdf import render_pdf

    pdf = render_pdf(html)
    with transaction.atomic():
        log_disclosure(by=request.user, person=person, recipient=Recipient.the_person(),
                       purpose="treatment", decision=decision, channel="print",
                       detail={"document": "visit_summary", "concerns": len(concerns)})
        record(by=request.user, action="screening.summary.pdf", obj=encounter, person=person)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="visit-summary.pdf"'
    return response
