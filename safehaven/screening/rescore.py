"""Responses scored under rules a newer version of their instrument replaced.

Version 1.0.0 of the shipped instruments summed skipped and declined answers as 0, so a
PHQ-9 with nothing answered was kept as "0, Minimal". Version 1.1.0 gave no total then,
but also hid a partial screen already past its cut-off (a PHQ-9 with six answers adding
up to 15: incomplete, not positive), and counted the yes answers of a partial trafficking
screen as its total; version 1.2.0 reports both as positive and incomplete ("at least
N"). Importing a newer version changes how new responses are scored; the responses
scored before keep their results until `safehaven instruments rescore` corrects them
(`actions.correct_scores`).

A response is checked against the newest active version of the same instrument (same
canonical url, a later version): its stored answers are scored again under that
version's rules, and the result compared with the scored results it has now. A response
is left as it is when its answers do not fit the newer version (a question or an answer
it does not have, or totals with other codes): those are counted, never guessed.

Nothing here writes. Counts only: no person's name or identifier is ever printed.
"""

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from safehaven.screening import engine
from safehaven.screening.models import Instrument, ScoredResult, ScreeningResponse

# Kinds of change, as written in the audit event, with what the command prints.
KINDS = {
    "declined": "no total any more: nothing was answered (declined)",
    "incomplete": "no total any more: too few questions answered (incomplete)",
    "total": "total changed",
    "new_total": "a total where there was none",
    "at_least": "no total, but the answers given already reach the cut-off (positive, at least N)",
    "other": "same total, other band, cut-off or reason for no total",
    "now_positive": "negative before, positive now",
    "still_positive": "positive before, not by the newer rules (kept positive: the answered"
                      " questions alone reached the cut-off; its follow-up stays)",
    "safety": "a safety rule is met that no follow-up answered",
}
# Kinds a clinician must look at: a review task is opened for the person's care team.
REVIEW = ("now_positive", "safety")


def version_key(version: str) -> tuple:
    """Return a sort key for a version: "1.10.0" after "1.9.0", numbers before words.

    No version at all comes before every version.
    """
    if not version:
        return ()
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"[.\-+]", version or ""))


def targets() -> dict[int, Instrument]:
    """Return {instrument pk: the newer active version whose rules now apply}.

    For each canonical url, the newest active version that calculates a score applies to
    the responses to every earlier version. A url with no active version, or whose active
    version is not the newest, has nothing to correct.
    """
    by_url: dict[str, list[Instrument]] = {}
    for instrument in Instrument.objects.order_by("pk"):
        by_url.setdefault(instrument.url, []).append(instrument)
    out = {}
    for versions in by_url.values():
        active = [i for i in versions if i.active]
        if not active:
            continue
        newest = max(active, key=lambda i: version_key(i.version))
        if not engine.has_scoring(newest.resource):
            continue
        for instrument in versions:
            if version_key(instrument.version) < version_key(newest.version):
                out[instrument.pk] = newest
    return out


def candidate_ids(target_map: dict[int, Instrument]) -> list[int]:
    """Return the ids of the completed responses to instruments a newer version replaced."""
    if not target_map:
        return []
    return list(
        ScreeningResponse.objects.filter(instrument_id__in=list(target_map), status="completed")
        .order_by("pk").values_list("pk", flat=True)
    )


def load(ids: list[int]):
    """Return a queryset of these completed responses with what `check` reads."""
    return (
        ScreeningResponse.objects.filter(pk__in=ids, status="completed")
        .select_related("instrument", "person__site")
        .prefetch_related("results", "tasks")
        .order_by("pk")
    )


def absent_reason(score: engine.Score, calc: engine.Calculated) -> str:
    """Return why a calculated item has no value ("" when it has one)."""
    if calc.value is not None:
        return ""
    return "asked-declined" if score.answered == 0 else "unknown"


@dataclass
class Correction:
    """How one response's scored results change under the newer rules."""

    response: ScreeningResponse
    target: Instrument
    fits: bool = True
    score: engine.Score | None = None
    body: dict | None = None  # the QuestionnaireResponse with the newer calculated answers
    changes: list[tuple[ScoredResult, engine.Calculated]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    @property
    def review(self) -> bool:
        """Whether a clinician must look at it (now positive, or a safety rule nobody answered)."""
        return any(kind in REVIEW for kind in self.kinds)


def _calculated_ids(*questionnaires: dict) -> set[str]:
    return {item["linkId"] for q in questionnaires for _w, item in engine._walk_items(q.get("item") or [])
            if isinstance(item, dict) and engine.ext_value(item, engine.CALCULATED_URL) is not None}


def _strip(items: list, drop: set[str]) -> list:
    """Return the response items without the answers of calculated items (the old totals)."""
    out = []
    for item in items or []:
        item = dict(item)
        if item.get("linkId") in drop:
            item.pop("answer", None)
        if item.get("item"):
            item["item"] = _strip(item["item"], drop)
        if item.get("answer") or item.get("item") or item.get("extension"):
            out.append(item)
    return out


def _fits(questionnaire: dict, body: dict, calculated: set[str]) -> bool:
    """Return whether every answer in the response is one the questionnaire can take."""
    items = {i["linkId"]: i for i in engine.answerable_items(questionnaire)}
    for _w, entry in engine._walk_items(body.get("item") or []):
        if not isinstance(entry, dict) or not entry.get("answer") or entry.get("linkId") in calculated:
            continue
        item = items.get(entry.get("linkId"))
        if item is None:
            return False
        for answer in entry["answer"]:
            if "valueCoding" in answer:
                options = [o.get("valueCoding") for o in item.get("answerOption") or []]
                if not any(isinstance(o, dict) and engine.same_coding(o, answer["valueCoding"])
                           for o in options):
                    return False
            elif "valueBoolean" in answer and item.get("type") != "boolean":
                return False
    return True


def check(response: ScreeningResponse, target: Instrument) -> Correction | None:
    """Return how the response's scored results change under target's rules, or None.

    `response` carries its results and tasks (see `load`). A Correction with `fits`
    False means the answers do not fit the newer version: the response is left alone.
    Results already entered in error are not compared: a corrected response gives None.
    """
    correction = Correction(response=response, target=target)
    body = json.loads(response.answers) if response.answers else {}
    old_questionnaire, questionnaire = response.instrument.resource, target.resource
    calculated = _calculated_ids(old_questionnaire, questionnaire)
    if not _fits(questionnaire, body, calculated):
        correction.fits = False
        return correction
    body = copy.deepcopy(body)
    body["item"] = _strip(body.get("item") or [], calculated)
    try:
        score = engine.score(questionnaire, body)
    except engine.InstrumentError:
        correction.fits = False
        return correction
    current = [r for r in response.results.all() if r.status != "entered-in-error"]
    old = {(r.system, r.code): r for r in current}
    new = {(c.system, c.code): c for c in score.calculated}
    if len(old) != len(current) or set(old) != set(new):
        correction.fits = False
        return correction
    kinds: list[str] = []
    for key, calc in new.items():
        result = old[key]
        absent = absent_reason(score, calc)
        if (result.value, result.at_least, result.data_absent_reason, result.interpretation,
                result.positive) == (calc.value, calc.at_least, absent, calc.interpretation[:200], calc.positive):
            continue
        correction.changes.append((result, calc))
        if calc.at_least is not None and result.at_least != calc.at_least:
            kinds.append("at_least")
        elif calc.value is None and result.value is not None:
            kinds.append("declined" if absent == "asked-declined" else "incomplete")
        elif calc.value is not None and result.value is None:
            kinds.append("new_total")
        elif calc.value != result.value:
            kinds.append("total")
        else:
            kinds.append("other")
    if not correction.changes:
        return None
    tasks = list(response.tasks.all())
    if score.positive and not response.positive:
        kinds.append("now_positive")
    if response.positive and not (score.positive or score.safety):
        kinds.append("still_positive")
    if score.safety and not any(t.reason in {"safety", "review"} for t in tasks):
        kinds.append("safety")
    correction.kinds = list(dict.fromkeys(kinds))
    correction.score, correction.body = score, body
    return correction


@dataclass
class Summary:
    """What a run found (or changed), per instrument version: counts only."""

    # (title, version, newer version) -> Counter of kinds, plus "responses" (to correct),
    # "checked", "unfit" (answers that do not fit the newer version) and "review".
    rows: dict[tuple[str, str, str], Counter] = field(default_factory=dict)

    def add(self, instrument: Instrument, target: Instrument, correction: Correction | None) -> None:
        counts = self.rows.setdefault((instrument.title, instrument.version, target.version), Counter())
        counts["checked"] += 1
        if correction is None:
            return
        if not correction.fits:
            counts["unfit"] += 1
            return
        counts["responses"] += 1
        counts.update(correction.kinds)
        if correction.review:
            counts["review"] += 1

    @property
    def responses(self) -> int:
        return sum(c["responses"] for c in self.rows.values())

    def lines(self, *, applied: bool) -> Iterator[str]:
        """Yield the report: per instrument version, how many and which kinds of change."""
        for (title, version, newer), counts in sorted(self.rows.items()):
            head = f"{title} version {version or '(none)'} -> {newer or '(none)'}: "
            yield head + (f"{counts['responses']} responses corrected" if applied else
                          f"{counts['responses']} of {counts['checked']} completed responses to correct")
            for kind, label in KINDS.items():
                if counts[kind]:
                    yield f"  {label}: {counts[kind]}"
            if counts["review"]:
                opened = "opened" if applied else "to open"
                yield f"  clinical review tasks {opened} for the care team: {counts['review']}"
            if counts["unfit"]:
                yield (f"  left as they are (answers that do not fit version {newer or '(none)'}):"
                       f" {counts['unfit']}")


def plan(*, batch_size: int = 100) -> Summary:
    """Return what a correction would change, reading responses in batches. Writes nothing."""
    target_map = targets()
    summary = Summary()
    ids = candidate_ids(target_map)
    for start in range(0, len(ids), batch_size):
        for response in load(ids[start:start + batch_size]):
            target = target_map[response.instrument_id]
            summary.add(response.instrument, target, check(response, target))
    return summary
