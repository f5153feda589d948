"""Quick mode: small data, a few seconds. The harness works and query counts hold as data grows.

It builds a small full network, counts each key request's queries and times it a few times
(floors included), then grows the data (more people on the caseload, more encounters on the
charts, more of every capability's rows, more directory services) and counts again. A
count that changed between the two sizes is an N+1 (or a query that depends on the data).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from safehaven.bench import harness, synth_more
from safehaven.core import synth


def _more_encounters(fx: harness.Fixtures, per_person: int = 25) -> None:
    """Give the chart people more encounters (with notes) than the chart shows."""
    from safehaven.people.models import Encounter, Note

    now = timezone.now()
    encounters = [
        Encounter(person=p, site_id=p.site_id, setting="community_clinic", status="finished",
                  chief_complaint="Follow-up visit", clinician=fx.clinician,
                  started_at=now - datetime.timedelta(days=n + 1), created_at=now - datetime.timedelta(days=n + 1))
        for p in fx.chart_people[:3] for n in range(per_person)
    ]
    with transaction.atomic():
        Encounter.objects.bulk_create(encounters)
        Note.objects.bulk_create([
            Note(encounter=e, person=e.person, author=fx.clinician, kind="progress", body="Seen; plan agreed.",
                 created_at=e.started_at)
            for e in encounters
        ])


def run(*, small: int = 16, grow_by: int = 40, repeat: int = 2) -> dict:
    """Return {"ok", "sizes", "counts": {size: {scenario: n}}, "grew": [...], "timings": {...}}."""
    from safehaven.people.models import Person

    synth.generate(patients=small, seed=5, sites=2, encounters_per_person=3, full=True, services=30,
                   progress=False)
    first = harness.prepare(caseload=6)
    before = harness.query_counts(first)
    timings = {s.name: harness.measure(first, s, repeat=repeat, warmup=0) for s in harness.scenarios(first)}
    size_a = Person.objects.count()

    synth.add_people(patients=grow_by, seed=6, encounters_per_person=6, full=True)
    synth_more.ensure_directory(60, seed=8)
    _more_encounters(first)
    fx = harness.prepare(caseload=24)
    # The same records as before (now with more data around them), so like is compared with like.
    fx.chart_people = first.chart_people
    fx.people = first.people[:1] + [p for p in fx.people if p.pk != first.people[0].pk]
    after = harness.query_counts(fx)
    size_b = Person.objects.count()

    grew = [
        {"scenario": name, "before": before[name], "after": after.get(name)}
        for name in before
        if before[name] is not None and after.get(name) is not None and after[name] != before[name]
    ]
    # A route that exists but answers an error is broken (a missing route is only "not available").
    broken = [name for name, t in timings.items()
              if not t.get("available") and t.get("reason", "").startswith("answered")]
    return {
        "ok": not grew and not broken, "sizes": [size_a, size_b],
        "counts": {str(size_a): before, str(size_b): after}, "grew": grew, "broken": broken,
        "timings": timings,
    }


def describe(result: dict) -> list[str]:
    """Return the quick check's findings as lines of plain text."""
    a, b = result["sizes"]
    lines = [f"Quick benchmark: {a} then {b} people."]
    for name, t in result["timings"].items():
        if not t.get("available"):
            lines.append(f"  {name:<22} not available: {t.get('reason', '')}")
            continue
        n_a, n_b = result["counts"][str(a)].get(name), result["counts"][str(b)].get(name)
        flag = "ok" if n_a == n_b else "GREW"
        lines.append(f"  {name:<22} queries {n_a} -> {n_b} {flag:<4}  median {t['median_ms']} ms"
                     f"  floor {t.get('floor', {}).get('median_ms', '-')} ms")
    for name in result.get("broken", []):
        lines.append(f"  {name}: the request failed ({result['timings'][name].get('reason')})")
    lines.append("Query counts hold." if result["ok"] else "Query counts grew with the data.")
    return lines
