# ruff: noqa: S608 -- the floors' SQL names tables from model metadata; every value is a parameter.
"""Time the key requests through the whole stack, and their floors.

Each scenario makes one request through Django's test client (every middleware, a staff
member signed in with both factors, audit on) and is measured `repeat` times after a
warm-up: wall time and the thread's CPU time, median and 95th percentile. Its **floor**
is the same database work written as raw SQL (session lookup, the page's data, the audit
event chained by hand) with minimal rendering (escaped HTML or JSON): the least any
implementation could do. Query counts are captured once per scenario.

A scenario whose route does not exist (its capability is not installed yet) is reported
as "not available", never as a failure.
"""

import datetime
import html
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safehaven.audit import chain

CASELOAD = 200  # the bench clinician's caseload: the same at every data size
SLOW_SECONDS, SLOW_REPEAT = 2.0, 5


@dataclass
class Fixtures:
    """The signed-in staff and the records the scenarios use."""

    clinician: Any
    evaluator: Any
    site: Any
    people: list  # the clinician's caseload (Person rows)
    chart_people: list  # caseload people with the most encounters
    clients: dict[str, Client] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    screening: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scenario:
    name: str
    label: str
    url: Callable[[Fixtures, int], str] | None  # None: not available
    user: str = "clinician"
    method: str = "get"
    data: Callable[[Fixtures, int], dict] | None = None
    before: Callable[[Fixtures, int], None] | None = None  # untimed set-up for each iteration
    floor: Callable[[Fixtures, int], Any] | None = None
    ok_status: tuple[int, ...] = (200,)
    reason: str = ""


def _reverse(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _summary(walls: list[float], cpus: list[float]) -> dict:
    return {
        "n": len(walls),
        "median_ms": round(statistics.median(walls), 2),
        "p95_ms": round(_percentile(walls, 0.95), 2),
        "cpu_median_ms": round(statistics.median(cpus), 2),
        "cpu_p95_ms": round(_percentile(cpus, 0.95), 2),
    }


# --- fixtures ----------------------------------------------------------------------------------

def prepare(*, caseload: int = CASELOAD, seed: int = 3) -> Fixtures:
    """Create (once) the bench staff and a fixed caseload; sign them in with both factors."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from safehaven.accounts.models import Membership, Site, User
    from safehaven.accounts.roles import ensure_default_roles
    from safehaven.people.models import CareTeamMember, Encounter, Person
    from safehaven.testing.factories import login

    roles = ensure_default_roles()
    site = Site.objects.order_by("pk").first()
    if site is None:
        raise RuntimeError("The database holds no clinic: run `safehaven synth` first.")
    clinician, created = User.objects.get_or_create(
        username="bench-clinician", defaults={"display_name": "Bench clinician", "gender": "woman"}
    )
    if created:
        Membership.objects.create(user=clinician, site=site, role=roles["clinician"])
        TOTPDevice.objects.create(user=clinician, name="bench", confirmed=True)
    evaluator, created = User.objects.get_or_create(
        username="bench-evaluator", defaults={"display_name": "Bench evaluator"}
    )
    if created:
        Membership.objects.bulk_create(
            [Membership(user=evaluator, site=s, role=roles["evaluator"]) for s in Site.objects.all()]
        )
        TOTPDevice.objects.create(user=evaluator, name="bench", confirmed=True)
    on_team = CareTeamMember.objects.filter(user=clinician, active=True).count()
    if on_team < caseload:
        # Spread the caseload over the site's people (every k-th by row id), deterministically.
        ids = list(Person.objects.filter(site=site).order_by("pk").values_list("pk", flat=True))
        rng = random.Random(seed)
        have = set(CareTeamMember.objects.filter(user=clinician).values_list("person_id", flat=True))
        wanted = [pk for pk in rng.sample(ids, k=min(len(ids), caseload * 2)) if pk not in have]
        CareTeamMember.objects.bulk_create(
            [CareTeamMember(person_id=pk, user=clinician) for pk in wanted[: caseload - on_team]]
        )
    people = list(
        Person.objects.filter(care_team__user=clinician, care_team__active=True).order_by("pk")
    )
    counts = dict(
        Encounter.objects.filter(person__in=people).values("person_id").annotate(n=Count("id"))
        .values_list("person_id", "n")
    )
    chart_people = sorted(people, key=lambda p: (-counts.get(p.pk, 0), p.pk))[:20]
    fx = Fixtures(clinician=clinician, evaluator=evaluator, site=site, people=people,
                  chart_people=chart_people)
    for name, user in (("clinician", clinician), ("evaluator", evaluator)):
        client = login(Client(), user)
        fx.clients[name] = client
        fx.sessions[name] = client.session.session_key
    _prepare_screening(fx)
    return fx


def _prepare_screening(fx: Fixtures) -> None:
    try:
        from safehaven.screening import actions, views
        from safehaven.screening.models import Instrument
    except ImportError:
        return
    instrument = Instrument.objects.filter(active=True, name__icontains="phq").order_by("name").first()
    if instrument is None:
        imported = actions.import_instruments(by="bench", files=actions.shipped_instrument_files())
        instrument = next((i for i in imported if "phq" in i.name.lower()), imported[0] if imported else None)
    if instrument is None:
        return
    items = views._items_for_display(instrument, "en")
    fx.screening = {"instrument": instrument, "items": items, "views": views, "actions": actions}


def _new_screening_session(fx: Fixtures, i: int) -> None:
    actions = fx.screening["actions"]
    person = fx.people[i % len(fx.people)]
    with transaction.atomic():
        session = actions.start_session(by=fx.clinician, person=person, encounter=None, mode="staff")
    actions.record_privacy(by=fx.clinician, session=session, alone=True)
    actions.record_confidentiality(by=fx.clinician, session=session)
    fx.screening["session"] = session


def _screening_answers(fx: Fixtures, i: int) -> dict:
    answers = {}
    for item in fx.screening["items"]:
        choices = item.get("choices") or item.get("options") or []
        answers[item["name"]] = str(i % max(len(choices), 1)) if choices else "0"
    return answers


# --- floors: the same database work in raw SQL, minimal rendering ------------------------------

def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _floor_session(fx: Fixtures, who: str = "clinician") -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
                    [fx.sessions[who], timezone.now()])
        cur.fetchone()
        cur.execute("SELECT id, username, display_name FROM accounts_user WHERE id = %s",
                    [fx.clinician.pk if who == "clinician" else fx.evaluator.pk])
        cur.fetchone()


def _floor_audit(action: str, actor, person_public: str = "", detail: dict | None = None) -> None:
    """Chain one audit event by hand: lock the head, insert, move the head (one transaction)."""
    from safehaven.audit.models import AuditEvent, AuditHead

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        cur.execute(f"SELECT seq, hash FROM {_table(AuditHead)} WHERE id = 1{lock}")
        seq, prev = cur.fetchone()
        seq += 1
        content = {"seq": seq, "at": now.isoformat(), "actor_id": str(actor.public_id),
                   "actor_label": actor.username, "action": action, "object_type": "", "object_id": "",
                   "person_id": person_public, "site_id": "", "reason": "", "detail": detail or {}, "ip": ""}
        digest = chain.event_hash(prev, content)
        cur.execute(
            f"INSERT INTO {_table(AuditEvent)} (seq, at, actor_id, actor_label, action, object_type, object_id,"
            " person_id, site_id, reason, detail, ip, prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, %s, '', '', %s, '', '', %s, '', %s, %s)",
            [seq, now, content["actor_id"], actor.username, action, person_public,
             json.dumps(detail or {}), prev, digest],
        )
        cur.execute(f"UPDATE {_table(AuditHead)} SET seq = %s, hash = %s, mac = %s, updated_at = %s WHERE id = 1",
                    [seq, digest, chain.head_mac(seq, digest), now])


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def floor_worklist(fx: Fixtures, i: int) -> str:
    from safehaven.people.models import CareTeamMember, Encounter, Person

    _floor_session(fx)
    rows = _rows(
        f"SELECT p.public_id, p.chosen_name, p.pronouns,"
        f" (SELECT e.started_at FROM {_table(Encounter)} e WHERE e.person_id = p.id"
        f"  ORDER BY e.started_at DESC LIMIT 1)"
        f" FROM {_table(Person)} p JOIN {_table(CareTeamMember)} c ON c.person_id = p.id"
        f" WHERE c.user_id = %s AND c.active AND p.site_id = %s"
        f" ORDER BY p.chosen_name_folded, p.id LIMIT 51",
        [fx.clinician.pk, fx.site.pk],
    )
    _floor_audit("person.list", fx.clinician, detail={"count": len(rows)})
    return "<ul>" + "".join(f"<li>{html.escape(r[1])} {html.escape(r[2])} {r[3]}</li>" for r in rows) + "</ul>"


def floor_chart(fx: Fixtures, i: int) -> str:
    from safehaven.accounts.models import User
    from safehaven.lib import crypto
    from safehaven.people.models import CareTeamMember, Encounter, Note, Person
    from safehaven.people.queries import CHART_ENCOUNTERS

    person = fx.chart_people[i % len(fx.chart_people)]
    _floor_session(fx)
    (row,) = _rows(
        f"SELECT p.id, p.chosen_name, p.pronouns, p.safety_note FROM {_table(Person)} p"
        f" WHERE p.public_id = %s AND EXISTS (SELECT 1 FROM {_table(CareTeamMember)} c"
        f"  WHERE c.person_id = p.id AND c.user_id = %s AND c.active)",
        [person.public_id.hex if connection.vendor == "sqlite" else person.public_id, fx.clinician.pk],
    )
    encounters = _rows(
        f"SELECT e.id, e.started_at, e.chief_complaint, u.display_name FROM {_table(Encounter)} e"
        f" LEFT JOIN {_table(User)} u ON u.id = e.clinician_id WHERE e.person_id = %s"
        f" ORDER BY e.started_at DESC, e.id DESC LIMIT {CHART_ENCOUNTERS + 1}",
        [row[0]],
    )
    encounters = encounters[:CHART_ENCOUNTERS]  # one more was read to know whether older ones exist
    ids = [e[0] for e in encounters] or [0]
    marks = ", ".join(["%s"] * len(ids))
    notes = _rows(f"SELECT n.encounter_id, n.body FROM {_table(Note)} n WHERE n.encounter_id IN ({marks})"
                  f" ORDER BY n.created_at", ids)
    team = _rows(f"SELECT u.display_name FROM {_table(CareTeamMember)} c JOIN {_table(User)} u"
                 f" ON u.id = c.user_id WHERE c.person_id = %s AND c.active ORDER BY c.added_at", [row[0]])
    _floor_audit("person.view", fx.clinician, str(person.public_id))
    complaint_ctx, note_ctx = "people.encounter.chief_complaint", "people.note.body"

    def plain(value: str, context: str) -> str:
        return crypto.decrypt(value, context=context) if value else ""

    by_enc: dict[int, list[str]] = {}
    for enc_id, body in notes:
        by_enc.setdefault(enc_id, []).append(plain(body, note_ctx))
    parts = [f"<h1>{html.escape(row[1])}</h1><p>{html.escape(plain(row[3], 'people.person.safety_note'))}</p>"]
    parts += [f"<li>{html.escape(t[0])}</li>" for t in team]
    for enc_id, started, complaint, who in encounters:
        text = complaint if not _encrypted("chief_complaint") else plain(complaint, complaint_ctx)
        parts.append(f"<section>{started} {html.escape(text or '')} {html.escape(who or '')}"
                     + "".join(f"<p>{html.escape(n)}</p>" for n in by_enc.get(enc_id, [])) + "</section>")
    return "".join(parts)


def _encrypted(field_name: str) -> bool:
    from safehaven.lib.fields import EncryptedTextField
    from safehaven.people.models import Encounter

    return isinstance(Encounter._meta.get_field(field_name), EncryptedTextField)


def floor_referrals(fx: Fixtures, i: int) -> str:
    from safehaven.people.models import CareTeamMember, Person
    from safehaven.referrals.models import OPEN_STATUSES, Referral

    _floor_session(fx)
    marks = ", ".join(["%s"] * len(OPEN_STATUSES))
    rows = _rows(
        f"SELECT r.public_id, r.service_name, r.status, r.requested_at, p.chosen_name FROM {_table(Referral)} r"
        f" JOIN {_table(Person)} p ON p.id = r.person_id JOIN {_table(CareTeamMember)} c ON c.person_id = p.id"
        f" WHERE c.user_id = %s AND c.active AND r.status IN ({marks})"
        f" ORDER BY r.requested_at LIMIT 200",
        [fx.clinician.pk, *OPEN_STATUSES],
    )
    _floor_audit("referral.list", fx.clinician, detail={"open": len(rows)})
    return "".join(f"<tr><td>{html.escape(r[4])}</td><td>{html.escape(r[1])}</td><td>{r[2]}</td></tr>" for r in rows)


def floor_directory(fx: Fixtures, i: int) -> str:
    from safehaven.directory.models import Organization, Service

    _floor_session(fx)
    rows = _rows(
        f"SELECT s.public_id, s.name, o.name FROM {_table(Service)} s"
        f" JOIN {_table(Organization)} o ON o.id = s.organization_id"
        f" WHERE s.name_folded LIKE %s AND s.free_of_charge ORDER BY s.name_folded LIMIT 20",
        ["%service 1%"],
    )
    return "".join(f"<li>{html.escape(r[1])} ({html.escape(r[2])})</li>" for r in rows)


def _no_stale_kept_figures(fx: Fixtures, i: int) -> None:
    """Measure the dashboard in its steady state: kept figures younger than their maximum age.

    Kept figures left by an earlier run may be stale; then every view also tries to queue a
    background read (one more query), which no worker runs here. Those are dropped, so the
    first request reads the figures again (untimed, see `measure`).
    """
    from django.conf import settings

    try:
        from safehaven.evaluation.models import KeptFigures
    except ImportError:
        return
    max_age = settings.EVALUATION_FIGURES_MAX_AGE
    if max_age > 0:
        KeptFigures.objects.filter(
            computed_at__lt=timezone.now() - datetime.timedelta(seconds=max_age / 2)).delete()


def floor_evaluation(fx: Fixtures, i: int) -> str:
    from safehaven.people.models import Encounter

    _floor_session(fx, "evaluator")
    year = timezone.localdate().year
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    rows = _rows(
        f"SELECT e.site_id, e.setting, COUNT(DISTINCT e.person_id), COUNT(*) FROM {_table(Encounter)} e"
        f" WHERE e.started_at >= %s GROUP BY e.site_id, e.setting",
        [start],
    )
    _floor_audit("evaluation.view", fx.evaluator)
    return "<table>" + "".join(
        f"<tr><td>{r[0]}</td><td>{r[1]}</td><td>{r[2] if r[2] >= 11 else '<11'}</td></tr>" for r in rows
    ) + "</table>"


def floor_fhir_read(fx: Fixtures, i: int) -> str:
    from safehaven.people.models import CareTeamMember, Person

    person = fx.people[i % len(fx.people)]
    _floor_session(fx)
    (row,) = _rows(
        f"SELECT p.public_id, p.chosen_name, p.date_of_birth, p.preferred_language FROM {_table(Person)} p"
        f" WHERE p.public_id = %s AND EXISTS (SELECT 1 FROM {_table(CareTeamMember)} c"
        f"  WHERE c.person_id = p.id AND c.user_id = %s AND c.active)",
        [person.public_id.hex if connection.vendor == "sqlite" else person.public_id, fx.clinician.pk],
    )
    _floor_audit("fhir.read", fx.clinician, str(person.public_id))
    return json.dumps({"resourceType": "Patient", "id": str(row[0]), "name": [{"text": row[1]}],
                       "birthDate": str(row[2] or ""), "communication": [{"language": row[3]}]})


def floor_fhir_search(fx: Fixtures, i: int) -> str:
    from safehaven.people.models import CareTeamMember, Encounter, Person

    person = fx.chart_people[i % len(fx.chart_people)]
    _floor_session(fx)
    rows = _rows(
        f"SELECT e.public_id, e.status, e.started_at, e.ended_at, e.setting FROM {_table(Encounter)} e"
        f" JOIN {_table(Person)} p ON p.id = e.person_id WHERE p.public_id = %s AND EXISTS ("
        f"  SELECT 1 FROM {_table(CareTeamMember)} c WHERE c.person_id = p.id AND c.user_id = %s AND c.active)"
        f" ORDER BY e.id LIMIT 50",
        [person.public_id.hex if connection.vendor == "sqlite" else person.public_id, fx.clinician.pk],
    )
    _floor_audit("fhir.search", fx.clinician, str(person.public_id), detail={"count": len(rows)})
    return json.dumps({"resourceType": "Bundle", "type": "searchset", "total": len(rows), "entry": [
        {"resource": {"resourceType": "Encounter", "id": str(r[0]), "status": r[1],
                      "period": {"start": str(r[2]), "end": str(r[3])}, "class": {"code": r[4]}}} for r in rows]})


def floor_screening(fx: Fixtures, i: int) -> str:
    from safehaven.lib import crypto
    from safehaven.screening.models import ScoredResult, ScreeningResponse

    session = fx.screening["session"]
    instrument = fx.screening["instrument"]
    _floor_session(fx)
    now = timezone.now()
    body = crypto.encrypt(json.dumps({"resourceType": "QuestionnaireResponse", "item": []}),
                          context="screening.screeningresponse.answers")
    with transaction.atomic(), connection.cursor() as cur:
        import uuid

        cur.execute(
            f"INSERT INTO {_table(ScreeningResponse)} (public_id, person_id, session_id, instrument_id, status,"
            " outcome, source, answers, author_id, authored_at, positive)"
            " VALUES (%s, %s, %s, %s, 'completed', 'completed', 'staff', %s, %s, %s, %s)",
            [uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4(), session.person_id, session.pk,
             instrument.pk, body, fx.clinician.pk, now, False],
        )
        response_id = cur.lastrowid if connection.vendor == "sqlite" else None
        if response_id is None:
            cur.execute(f"SELECT MAX(id) FROM {_table(ScreeningResponse)}")
            response_id = cur.fetchone()[0]
        cur.execute(
            f"INSERT INTO {_table(ScoredResult)} (public_id, person_id, response_id, system, code, display, value,"
            " interpretation, positive, status, effective_at) VALUES (%s, %s, %s, 'http://loinc.org', '55758-7',"
            " 'PHQ-2 total', 1, '', %s, 'final', %s)",
            [uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4(), session.person_id, response_id,
             False, now],
        )
        _floor_audit("screening.response.complete", fx.clinician)
    return "<p>saved</p>"


# --- scenarios -----------------------------------------------------------------------------------

def scenarios(fx: Fixtures | None = None) -> list[Scenario]:
    """Return the key requests, each with its floor; a missing route is marked not available."""

    def person_id(people_attr: str):
        return lambda f, i: str(getattr(f, people_attr)[i % len(getattr(f, people_attr))].public_id)

    out = [
        Scenario("worklist", "Worklist (my people, page 1)",
                 (lambda f, i: _reverse("people:worklist")) if _reverse("people:worklist") else None,
                 floor=floor_worklist),
        Scenario("chart", "Person chart (20 latest encounters, panels)",
                 (lambda f, i: _reverse("people:chart", person_id("chart_people")(f, i)))
                 if _reverse("people:chart", "x") else None, floor=floor_chart),
    ]
    screening_url = _reverse("screening:ask", "00000000-0000-0000-0000-000000000000", "x")
    has_screening = bool(screening_url) and (fx is None or bool(fx.screening))
    out.append(Scenario(
        "screening_submit", "Screening submission (PHQ answers, scored)",
        (lambda f, i: _reverse("screening:ask", str(f.screening["session"].public_id),
                               str(f.screening["instrument"].public_id))) if has_screening else None,
        method="post", data=_screening_answers, before=_new_screening_session, floor=floor_screening,
        ok_status=(302,),
        reason="" if has_screening else "the screening app has no ask view or no instrument",
    ))
    out.append(Scenario(
        "directory_search", "Directory search (words + free of charge)",
        (lambda f, i: _reverse("directory:search") + f"?q=service+{i % 10}&free=on")
        if _reverse("directory:search") else None, floor=floor_directory,
    ))
    out.append(Scenario("referral_list", "Referral worklist (my caseload)",
                        (lambda f, i: _reverse("referrals:worklist")) if _reverse("referrals:worklist") else None,
                        floor=floor_referrals))
    out.append(Scenario("evaluation_dashboard", "Evaluation dashboard (this year, all sites)",
                        (lambda f, i: _reverse("evaluation:dashboard")) if _reverse("evaluation:dashboard") else None,
                        user="evaluator", floor=floor_evaluation, before=_no_stale_kept_figures))
    out.append(Scenario("fhir_read", "FHIR read (Patient)",
                        (lambda f, i: _reverse("fhir:read", "Patient", person_id("people")(f, i)))
                        if _reverse("fhir:read", "Patient", "x") else None, floor=floor_fhir_read))
    out.append(Scenario("fhir_search", "FHIR search (Encounter?patient=)",
                        (lambda f, i: _reverse("fhir:search", "Encounter") + "?patient="
                         + person_id("chart_people")(f, i)) if _reverse("fhir:search", "Encounter") else None,
                        floor=floor_fhir_search))
    for s in out:
        if s.url is None and not s.reason:
            s.reason = "route not available"
    return out


def _call(fx: Fixtures, s: Scenario, i: int):
    client = fx.clients[s.user]
    url = s.url(fx, i)
    if s.method == "post":
        return client.post(url, s.data(fx, i) if s.data else {})
    return client.get(url)


def measure(fx: Fixtures, s: Scenario, *, repeat: int, warmup: int = 3, floors: bool = True) -> dict:
    """Return timings, floor timings and the query count of one scenario."""
    if s.url is None:
        return {"label": s.label, "available": False, "reason": s.reason}
    if s.before:
        s.before(fx, 0)
    first = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        response = _call(fx, s, 0)
    if response.status_code not in s.ok_status:
        return {"label": s.label, "available": False,
                "reason": f"answered {response.status_code}, expected {s.ok_status[0]}"}
    first_queries = len(ctx.captured_queries)
    if time.perf_counter() - first > SLOW_SECONDS:
        # A first request may fill a cache (the evaluation figures); time a second before
        # deciding that this request is too slow to be timed more than a few times.
        again = time.perf_counter()
        if s.before:
            s.before(fx, 0)
        _call(fx, s, 0)
        if time.perf_counter() - again > SLOW_SECONDS:
            repeat, warmup = min(repeat, SLOW_REPEAT), 0
    for i in range(1, warmup + 1):
        if s.before:
            s.before(fx, i)
        _call(fx, s, i)
    walls, cpus, statuses = [], [], set()
    for i in range(repeat):
        if s.before:
            s.before(fx, warmup + i)
        t0, c0 = time.perf_counter(), time.thread_time()
        response = _call(fx, s, warmup + i)
        cpus.append((time.thread_time() - c0) * 1000)
        walls.append((time.perf_counter() - t0) * 1000)
        statuses.add(response.status_code)
    if s.before:
        s.before(fx, warmup + repeat)
    with CaptureQueriesContext(connection) as ctx:  # the query count of a request like the timed ones
        _call(fx, s, warmup + repeat)
    queries = len(ctx.captured_queries)
    result = {"label": s.label, "available": True, "queries": queries, **_summary(walls, cpus),
              "statuses": sorted(statuses)}
    if first_queries != queries:
        result["first_request_queries"] = first_queries
    if floors and s.floor is not None:
        fwalls, fcpus = [], []
        for i in range(warmup):
            if s.before:
                s.before(fx, i)
            s.floor(fx, i)
        for i in range(repeat):
            if s.before:
                s.before(fx, warmup + i)
            t0, c0 = time.perf_counter(), time.thread_time()
            s.floor(fx, warmup + i)
            fcpus.append((time.thread_time() - c0) * 1000)
            fwalls.append((time.perf_counter() - t0) * 1000)
        result["floor"] = _summary(fwalls, fcpus)
        result["ratio_to_floor"] = round(result["median_ms"] / max(result["floor"]["median_ms"], 0.01), 2)
    return result


def query_counts(fx: Fixtures) -> dict[str, int | None]:
    """Return the query count of each available scenario (one request each)."""
    out: dict[str, int | None] = {}
    for s in scenarios(fx):
        if s.url is None:
            out[s.name] = None
            continue
        if s.before:
            s.before(fx, 0)
        with CaptureQueriesContext(connection) as ctx:
            response = _call(fx, s, 0)
        out[s.name] = len(ctx.captured_queries) if response.status_code in s.ok_status else None
    return out


def run(*, repeat: int = 50, warmup: int = 3, export: bool = True, only: list[str] | None = None) -> dict:
    """Measure every scenario (and bulk export) on the current database; return a result dict."""
    from safehaven.lib.warm import freeze_after_startup
    from safehaven.people.models import Encounter, Person

    fx = prepare()
    freeze_after_startup()  # as the server does at start-up (safehaven/wsgi.py)
    results: dict[str, Any] = {
        "people": Person.objects.count(), "encounters": Encounter.objects.count(),
        "caseload": len(fx.people), "repeat": repeat, "scenarios": {},
    }
    for s in scenarios(fx):
        if only and s.name not in only:
            continue
        results["scenarios"][s.name] = measure(fx, s, repeat=repeat, warmup=warmup)
    if not only or "evaluation_figures_read" in only:
        results["evaluation_figures_read"] = evaluation_figures_read()
    if export and (not only or "bulk_export" in only):
        results["bulk_export"] = bulk_export()
    return results


def evaluation_figures_read(repeat: int = 3) -> dict:
    """Time reading this year's raw evaluation figures for every site (what the dashboard keeps).

    The dashboard scenario above reuses kept figures (up to 15 minutes old); this is the read
    the first view after that, or the nightly `safehaven evaluation refresh`, pays.
    """
    try:
        from safehaven.evaluation.measures import compute_figures
    except ImportError:
        return {"reason": "evaluation not installed"}
    from safehaven.accounts.models import Site

    site_ids = list(Site.objects.values_list("pk", flat=True))
    year = timezone.localdate().year
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        compute_figures(year, site_ids)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return _summary(walls, cpus)


def bulk_export() -> dict:
    """Run one system-level FHIR bulk export end to end; return resources per second and memory."""
    try:
        from safehaven.fhir import benchmark
    except ImportError as exc:
        return {"available": False, "reason": f"FHIR bulk export missing ({exc})"}
    try:
        return {"available": True, **benchmark.run(trace_memory=False)}
    except Exception as exc:  # the report says why it could not run, the other figures still count
        return {"available": False, "reason": f"{exc.__class__.__name__}: {exc}"}
