"""Instruments as data: check, read and score FHIR R4 Questionnaires (SDC) and responses.

Parsing and validation use `fhir.resources.R4B`; `variable`, `calculatedExpression`
and the safety rules are FHIRPath evaluated with `fhirpathpy`. Nothing here touches the
database: `actions.import_instrument` stores what `check_questionnaire` accepts.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fhirpathpy import evaluate
from fhirpathpy.models import models as fhirpath_models

ORDINAL_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT_URL = "http://hl7.org/fhir/StructureDefinition/itemWeight"
VARIABLE_URL = "http://hl7.org/fhir/StructureDefinition/variable"
CALCULATED_URL = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
SH = "https://safehaven.example.org/fhir/StructureDefinition/"
BAND_URL = SH + "score-band"  # complex: low, high, display, positive
POSITIVE_URL = SH + "positive-at"  # valueDecimal: the score at which the screen is positive
SAFETY_URL = SH + "safety-trigger"  # valueExpression: FHIRPath true -> same-visit safety response
SENSITIVE_URL = SH + "sensitive"  # valueBoolean
WORDING_URL = SH + "wording-verified"  # valueBoolean
YOUTH_URL = SH + "youth-screen"  # valueBoolean: a positive result about a minor opens a report
DATA_ABSENT_URL = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
LOCAL_SYSTEM = "https://safehaven.example.org/fhir/CodeSystem/screening"

SUPPORTED_TYPES = {
    "boolean", "choice", "open-choice", "integer", "decimal", "string", "text", "date",
    "display", "group",
}
SUPPORTED_EXTENSIONS = {
    ORDINAL_URL, ITEM_WEIGHT_URL, VARIABLE_URL, CALCULATED_URL, BAND_URL, POSITIVE_URL,
    SAFETY_URL, SENSITIVE_URL, WORDING_URL, YOUTH_URL,
    # Presentation hints that change nothing about meaning or scoring.
    "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl",
    "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden",
    "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
    "http://hl7.org/fhir/StructureDefinition/questionnaire-displayCategory",
    "http://hl7.org/fhir/StructureDefinition/rendering-xhtml",
    "http://hl7.org/fhir/StructureDefinition/rendering-style",
    "http://hl7.org/fhir/StructureDefinition/translation",
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-entryFormat",
    "http://hl7.org/fhir/StructureDefinition/entryFormat",
}
ROOT_KEYS = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "extension", "url",
    "identifier", "version", "name", "title", "derivedFrom", "status", "experimental",
    "subjectType", "date", "publisher", "contact", "description", "useContext",
    "jurisdiction", "purpose", "copyright", "approvalDate", "lastReviewDate",
    "effectivePeriod", "code", "item", "_title", "_description", "_copyright",
}
ITEM_KEYS = {
    "id", "extension", "linkId", "definition", "code", "prefix", "text", "type", "enableWhen",
    "enableBehavior", "required", "repeats", "readOnly", "maxLength", "answerOption",
    "initial", "item", "_text", "_prefix",
}
OPTION_VALUES = {"valueCoding", "valueString", "valueInteger"}
INITIAL_VALUES = {
    "valueBoolean", "valueDecimal", "valueInteger", "valueDate", "valueString", "valueCoding",
}


class InstrumentError(ValueError):
    """A questionnaire or a response that cannot be used; `problems` says why, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_json(text: str | bytes, *, source: str = "file") -> dict:
    """Return the JSON object in text, or raise InstrumentError with the line and reason."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InstrumentError([f"{source}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstrumentError(
            [f"{source}: line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        ) from None
    except RecursionError:
        raise InstrumentError([f"{source}: the JSON is nested too deeply to be a Questionnaire"]) from None
    if not isinstance(data, dict):
        raise InstrumentError([f"{source}: line 1: expected a JSON object"])
    return data


def _walk_items(items: list, path: str = "item"):
    for index, item in enumerate(items or []):
        here = f"{path}[{index}]"
        yield here, item
        if isinstance(item, dict):
            yield from _walk_items(item.get("item") or [], f"{here}.item")


def _extension_problems(owner: dict, where: str) -> list[str]:
    problems = []
    if owner.get("modifierExtension"):
        problems.append(f"{where}.modifierExtension is not supported")
    for ext in owner.get("extension") or []:
        url = ext.get("url", "") if isinstance(ext, dict) else ""
        if url not in SUPPORTED_EXTENSIONS:
            problems.append(f"{where}.extension '{url}' is not supported")
            continue
        expr = ext.get("valueExpression")
        if isinstance(expr, dict) and expr.get("language") not in {None, "text/fhirpath"}:
            problems.append(
                f"{where}.extension '{url}' uses the language '{expr.get('language')}'"
                " (only text/fhirpath is supported)"
            )
    return problems


def unsupported_elements(data: dict) -> list[str]:
    """Return one message for each element of the Questionnaire that this product cannot honour."""
    problems = []
    if data.get("resourceType") != "Questionnaire":
        return [f"resourceType is '{data.get('resourceType')}', expected 'Questionnaire'"]
    for key in data:
        if key not in ROOT_KEYS:
            problems.append(f"Questionnaire.{key} is not supported")
    problems += _extension_problems(data, "Questionnaire")
    for where, item in _walk_items(data.get("item") or []):
        if not isinstance(item, dict):
            continue
        where = f"Questionnaire.{where} ({item.get('linkId', '?')})"
        for key in item:
            if key not in ITEM_KEYS:
                problems.append(f"{where}.{key} is not supported")
        if item.get("type") not in SUPPORTED_TYPES:
            problems.append(f"{where}.type '{item.get('type')}' is not supported")
        problems += _extension_problems(item, where)
        for opt_index, option in enumerate(item.get("answerOption") or []):
            for key in option:
                if key.startswith("value") and key not in OPTION_VALUES:
                    problems.append(f"{where}.answerOption[{opt_index}].{key} is not supported")
                if key == "extension":
                    problems += _extension_problems(option, f"{where}.answerOption[{opt_index}]")
            coding = option.get("valueCoding")
            if isinstance(coding, dict):
                problems += _extension_problems(
                    coding, f"{where}.answerOption[{opt_index}].valueCoding"
                )
        for init_index, initial in enumerate(item.get("initial") or []):
            for key in initial:
                if key.startswith("value") and key not in INITIAL_VALUES:
                    problems.append(f"{where}.initial[{init_index}].{key} is not supported")
    return problems


def check_questionnaire(text: str | bytes, *, source: str = "file") -> dict:
    """Return the Questionnaire JSON in text if this product supports all of it.

    Raise InstrumentError naming the line and reason of a JSON error, each unsupported
    element, or each FHIR R4 validation error.
    """
    from fhir.resources.R4B.questionnaire import Questionnaire
    from pydantic import ValidationError

    data = parse_json(text, source=source)
    problems = unsupported_elements(data)
    if problems:
        raise InstrumentError(problems)
    try:
        Questionnaire.model_validate(data)
    except ValidationError as exc:
        raise InstrumentError(
            [
                f"{source}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()[:20]
            ]
        ) from None
    if not data.get("url"):
        raise InstrumentError([f"{source}: Questionnaire.url is required to identify the instrument"])
    problems = []
    seen: set[str] = set()
    for _where, item in _walk_items(data.get("item") or []):
        link = item.get("linkId")
        if link in seen:
            problems.append(f"linkId '{link}' is used twice")
        seen.add(link)
    names = {name: [] for name in _variable_names(data)}
    for expression in _expressions(data):
        try:
            evaluate({"resourceType": "QuestionnaireResponse"}, expression, _context({}, data, names),
                     model=fhirpath_models["r4"], options=_options(data))
        except Exception as exc:  # fhirpathpy raises plain exceptions for bad expressions
            problems.append(f"FHIRPath expression '{expression[:80]}' cannot be evaluated: {exc}")
    if problems:
        raise InstrumentError(problems)
    return data


def _expressions(data: dict) -> list[str]:
    out = []
    owners = [data] + [item for _w, item in _walk_items(data.get("item") or [])]
    for owner in owners:
        for ext in owner.get("extension") or []:
            expr = ext.get("valueExpression")
            if isinstance(expr, dict) and expr.get("expression"):
                out.append(expr["expression"])
    return out


def _variable_names(data: dict) -> list[str]:
    owners = [data] + [item for _w, item in _walk_items(data.get("item") or [])]
    return [
        ext["valueExpression"]["name"]
        for owner in owners
        for ext in owner.get("extension") or []
        if ext.get("url") == VARIABLE_URL and (ext.get("valueExpression") or {}).get("name")
    ]


def ext_value(owner: dict, url: str, default: Any = None) -> Any:
    """Return the value[x] of the first extension with this url on owner."""
    for ext in owner.get("extension") or []:
        if ext.get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
            return ext
    return default


def meta(data: dict) -> dict[str, Any]:
    """Return what the product needs to know about an instrument from its Questionnaire."""
    codes = data.get("code") or []
    return {
        "url": data.get("url", ""),
        "version": data.get("version", ""),
        "name": (data.get("name") or data.get("id") or "instrument")[:100],
        "title": (data.get("title") or data.get("name") or "Instrument")[:200],
        "code": (codes[0].get("code", "") if codes else "")[:40],
        "sensitive": bool(ext_value(data, SENSITIVE_URL, True)),
        "wording_verified": bool(ext_value(data, WORDING_URL, False)),
    }


# --- scoring ------------------------------------------------------------------------------

def _ordinal_map(questionnaire: dict) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for _w, item in _walk_items(questionnaire.get("item") or []):
        for option in item.get("answerOption") or []:
            coding = option.get("valueCoding")
            if not isinstance(coding, dict):
                continue
            value = ext_value(coding, ORDINAL_URL)
            if value is None:
                value = ext_value(option, ORDINAL_URL)
            if value is None:
                value = ext_value(coding, ITEM_WEIGHT_URL, ext_value(option, ITEM_WEIGHT_URL))
            if value is not None:
                key = (coding.get("system", ""), coding.get("code", ""))
                out.setdefault(key, Decimal(str(value)))
                out.setdefault(("", coding.get("code", "")), Decimal(str(value)))
    return out


def _options(questionnaire: dict) -> dict:
    ordinals = _ordinal_map(questionnaire)

    def ordinal(coll):
        out = []
        for coding in coll:
            if not isinstance(coding, dict):
                continue
            own = ext_value(coding, ORDINAL_URL, ext_value(coding, ITEM_WEIGHT_URL))
            if own is not None:
                out.append(float(own))
                continue
            value = ordinals.get((coding.get("system", ""), coding.get("code", "")))
            if value is None:
                value = ordinals.get(("", coding.get("code", "")))
            if value is not None:
                out.append(float(value))
        return out

    table = {
        "ordinal": {"fn": ordinal, "arity": {0: []}},
        "weight": {"fn": ordinal, "arity": {0: []}},
    }
    return {"userInvocationTable": table}


def _context(response: dict, questionnaire: dict, variables: dict) -> dict:
    return {"resource": response, "questionnaire": questionnaire, **variables}


@dataclass
class Calculated:
    """One calculated item's value."""

    link_id: str
    code: str
    system: str
    display: str
    value: Decimal | None
    interpretation: str = ""
    positive: bool = False


@dataclass
class Score:
    """The result of scoring one response."""

    calculated: list[Calculated] = field(default_factory=list)
    positive: bool = False
    safety: bool = False  # a same-visit safety response is needed
    youth_screen: bool = False

    def as_json(self) -> dict:
        return {
            "calculated": [
                {
                    "linkId": c.link_id,
                    "code": c.code,
                    "system": c.system,
                    "display": c.display,
                    "value": _plain(c.value),
                    "interpretation": c.interpretation,
                    "positive": c.positive,
                }
                for c in self.calculated
            ],
            "positive": self.positive,
            "safetyResponse": self.safety,
        }


def _plain(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _first_number(values: list) -> Decimal | None:
    for value in values:
        if isinstance(value, bool):
            return Decimal(int(value))
        if isinstance(value, int | float | Decimal):
            number = Decimal(str(value))
            return number.to_integral_value() if number == number.to_integral_value() else number
    return None


def _find_response_item(response: dict, link_id: str) -> dict | None:
    for _w, item in _walk_items(response.get("item") or []):
        if item.get("linkId") == link_id:
            return item
    return None


def _set_answer(response: dict, link_id: str, value: Decimal | None, path: list[dict]) -> None:
    """Write a calculated value into the response (creating the item where it belongs)."""
    existing = _find_response_item(response, link_id)
    answer = [] if value is None else [_decimal_answer(value)]
    if existing is not None:
        if answer:
            existing["answer"] = answer
        else:
            existing.pop("answer", None)
        return
    container = response
    for parent in path:
        found = None
        for item in container.setdefault("item", []):
            if item.get("linkId") == parent["linkId"]:
                found = item
        if found is None:
            found = {"linkId": parent["linkId"]}
            container["item"].append(found)
        container = found
    new = {"linkId": link_id}
    if answer:
        new["answer"] = answer
    container.setdefault("item", []).append(new)


def _decimal_answer(value: Decimal) -> dict:
    if value == value.to_integral_value():
        return {"valueInteger": int(value)}
    return {"valueDecimal": float(value)}


def _items_with_parents(items: list, parents: list | None = None):
    parents = parents or []
    for item in items or []:
        yield item, parents
        yield from _items_with_parents(item.get("item") or [], parents + [item])


def _interpret(item: dict, value: Decimal | None) -> tuple[str, bool]:
    if value is None:
        return "", False
    display = ""
    positive = False
    for ext in item.get("extension") or []:
        if ext.get("url") != BAND_URL:
            continue
        parts = {e.get("url"): next((v for k, v in e.items() if k.startswith("value")), None)
                 for e in ext.get("extension") or []}
        low = Decimal(str(parts.get("low", "-1e9")))
        high = Decimal(str(parts.get("high", "1e9")))
        if low <= value <= high:
            display = str(parts.get("display") or "")
    threshold = ext_value(item, POSITIVE_URL)
    if threshold is not None:
        positive = value >= Decimal(str(threshold))
    return display, positive


def score(questionnaire: dict, response: dict) -> Score:
    """Score a QuestionnaireResponse against its Questionnaire.

    Evaluate the Questionnaire's `variable`s, then every item's `calculatedExpression`
    (written back into the response so later expressions can use them), interpret each
    calculated item with its bands and positive threshold, and evaluate the safety rules.
    The response dict is updated in place with the calculated answers.
    """
    model = fhirpath_models["r4"]
    options = _options(questionnaire)
    variables: dict[str, Any] = {}

    def run(expression: str) -> list:
        try:
            return evaluate(response, expression, _context(response, questionnaire, variables),
                            model=model, options=options)
        except Exception as exc:  # fhirpathpy raises plain exceptions
            raise InstrumentError([f"FHIRPath '{expression[:80]}' failed: {exc}"]) from None

    def load_variables(owner: dict) -> None:
        for ext in owner.get("extension") or []:
            if ext.get("url") == VARIABLE_URL:
                expr = ext.get("valueExpression") or {}
                if expr.get("name") and expr.get("expression"):
                    variables[expr["name"]] = run(expr["expression"])

    result = Score(youth_screen=bool(ext_value(questionnaire, YOUTH_URL, False)))
    calculated_items = []
    load_variables(questionnaire)
    for item, parents in _items_with_parents(questionnaire.get("item") or []):
        load_variables(item)
        expr = ext_value(item, CALCULATED_URL)
        if isinstance(expr, dict) and expr.get("expression"):
            value = _first_number(run(expr["expression"]))
            _set_answer(response, item["linkId"], value, parents)
            calculated_items.append((item, value))
    for item, value in calculated_items:
        codes = item.get("code") or []
        code = codes[0] if codes else {}
        interpretation, positive = _interpret(item, value)
        result.calculated.append(
            Calculated(
                link_id=item["linkId"],
                code=code.get("code", item["linkId"]),
                system=code.get("system", LOCAL_SYSTEM),
                display=code.get("display", item.get("text", "")),
                value=value,
                interpretation=interpretation,
                positive=positive,
            )
        )
        result.positive = result.positive or positive
    for owner in [questionnaire] + [i for i, _p in _items_with_parents(questionnaire.get("item") or [])]:
        rule = ext_value(owner, SAFETY_URL)
        if isinstance(rule, dict) and rule.get("expression"):
            if any(v is True for v in run(rule["expression"])):
                result.safety = True
    return result


# --- answering ---------------------------------------------------------------------------

def answerable_items(questionnaire: dict) -> list[dict]:
    """Return the items a person answers (not groups, displays or calculated items), in order."""
    out = []
    for item, _parents in _items_with_parents(questionnaire.get("item") or []):
        if item.get("type") in {"group", "display"}:
            continue
        if ext_value(item, CALCULATED_URL) is not None or item.get("readOnly"):
            continue
        out.append(item)
    return out


def _answer_matches(answer: dict, operator: str, expected: Any) -> bool:
    value = next((v for k, v in answer.items() if k.startswith("value")), None)
    if isinstance(value, dict) and isinstance(expected, dict):
        same = value.get("code") == expected.get("code") and (
            not expected.get("system") or value.get("system") == expected.get("system")
        )
        return same if operator == "=" else (not same if operator == "!=" else False)
    try:
        if operator == "=":
            return value == expected
        if operator == "!=":
            return value != expected
        if operator == ">":
            return value > expected
        if operator == "<":
            return value < expected
        if operator == ">=":
            return value >= expected
        if operator == "<=":
            return value <= expected
    except TypeError:
        return False
    return False


def is_enabled(item: dict, answers: dict[str, list[dict]]) -> bool:
    """Return whether an item is enabled by its `enableWhen` given the answers so far."""
    conditions = item.get("enableWhen") or []
    if not conditions:
        return True
    results = []
    for cond in conditions:
        given = answers.get(cond.get("question", ""), [])
        operator = cond.get("operator", "=")
        expected = next((v for k, v in cond.items() if k.startswith("answer")), None)
        if operator == "exists":
            results.append(bool(given) == bool(expected))
        else:
            results.append(any(_answer_matches(a, operator, expected) for a in given))
    if item.get("enableBehavior") == "any":
        return any(results)
    return all(results)


def build_response(
    questionnaire: dict, raw: dict[str, Any], *, declined: set[str] | None = None,
    status: str = "completed",
) -> tuple[dict, list[str]]:
    """Return (QuestionnaireResponse JSON, problems) from submitted answers keyed by linkId.

    Choice answers are given as the index of the answerOption; "" means skipped; items
    in `declined` were answered "prefer not to say". Answers to items that enableWhen
    disables are dropped.
    """
    declined = declined or set()
    problems: list[str] = []
    answers: dict[str, list[dict]] = {}
    for item in answerable_items(questionnaire):
        link = item["linkId"]
        if link in declined:
            continue
        value = raw.get(link)
        if value in (None, "", []):
            continue
        try:
            answers[link] = [_convert(item, value)]
        except (ValueError, IndexError, TypeError):
            problems.append(link)
    for item in answerable_items(questionnaire):
        if not is_enabled(item, answers):
            answers.pop(item["linkId"], None)
    response: dict = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire.get("url", ""),
        "status": status,
        "item": [],
    }

    def build(items: list) -> list[dict]:
        out = []
        for item in items or []:
            link = item["linkId"]
            if item.get("type") == "group":
                children = build(item.get("item") or [])
                if children:
                    out.append({"linkId": link, "item": children})
                continue
            entry: dict = {"linkId": link}
            if item.get("text"):
                entry["text"] = item["text"]
            if link in answers:
                entry["answer"] = answers[link]
                out.append(entry)
            elif link in declined:
                entry["extension"] = [{"url": DATA_ABSENT_URL, "valueCode": "asked-declined"}]
                out.append(entry)
        return out

    response["item"] = build(questionnaire.get("item") or [])
    return response, problems


def _convert(item: dict, value: Any) -> dict:
    kind = item.get("type")
    value = value if not isinstance(value, list) else value[0]
    if kind in {"choice", "open-choice"} and item.get("answerOption"):
        text = str(value)
        if text.startswith("other:") and kind == "open-choice":
            return {"valueString": text[6:][:500]}
        option = item["answerOption"][int(text)]
        key = next(k for k in option if k.startswith("value"))
        chosen = option[key]
        if key == "valueCoding":
            chosen = {k: v for k, v in chosen.items() if k in {"system", "code", "display"}}
        return {key: chosen}
    if kind == "boolean":
        text = str(value).lower()
        if text not in {"true", "false"}:
            raise ValueError("not a yes/no answer")
        return {"valueBoolean": text == "true"}
    if kind == "integer":
        return {"valueInteger": int(str(value))}
    if kind == "decimal":
        return {"valueDecimal": float(Decimal(str(value)))}
    if kind == "date":
        import datetime

        return {"valueDate": datetime.date.fromisoformat(str(value)).isoformat()}
    return {"valueString": str(value)[:2000]}
