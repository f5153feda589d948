"""Instruments as data: check, read and score FHIR R4 Questionnaires (SDC) and responses.

Parsing and validation use `fhir.resources.R4B`; `variable`, `calculatedExpression`
and the safety rules are FHIRPath evaluated with `fhirpathpy`. Nothing here touches the
database: `actions.import_instruments` stores what `check_questionnaire` accepts.

Files exported by NLM LHC-Forms load as they are: their presentation and extraction
extensions are accepted, a missing url becomes http://loinc.org/q/CODE, and their own
variables and calculatedExpression compute the total. A file that calculates nothing
(older exports) is imported too, and Safe Haven does not substitute its own rules: the
answers are kept without a total, nothing is marked positive, the score field is not
shown on the tablet, and the administrator is told so (`scoring_notes`), with the
shipped instrument of the same LOINC code that does score. Guessing a total from rules
the administrator did not choose could silently mis-score a file whose codes differ.

Every question may be skipped or answered "prefer not to say". A total exists only when
the Questionnaire's own rules give one: the shipped files follow each instrument's
guidance on missing answers (PHQ-9 prorated with one or two missing, the others complete
only), and whatever a file says, a response with no question answered has no total,
never a 0. A partial screen is never negative, and never hidden when it is positive:
when the answers recorded already reach the cut-off whatever the rest would be (the
file's `minimum-total` rule), it is positive, incomplete, "at least N"; otherwise it is
incomplete.
Which consent data category a response belongs to is the Questionnaire's own data too
(`data_categories`), never its name.
"""

import json
import re
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
# valueExpression on a calculated item: FHIRPath giving the lowest total the answers
# recorded so far allow (every question not answered counted at its lowest score). When
# the total itself is missing and this already reaches positive-at, the screen is
# positive, and incomplete: "at least N".
MINIMUM_URL = SH + "minimum-total"
SAFETY_URL = SH + "safety-trigger"  # valueExpression: FHIRPath true -> same-visit safety response
SENSITIVE_URL = SH + "sensitive"  # valueBoolean
WORDING_URL = SH + "wording-verified"  # valueBoolean
# Complex, one per language: lang (valueCode) and verified (valueBoolean). A translation
# without one, or with verified false, is Safe Haven's own wording, not a validated one.
TRANSLATION_VERIFIED_URL = SH + "translation-verified"
YOUTH_URL = SH + "youth-screen"  # valueBoolean: a positive result about a minor opens a report
# valueCode, one or more: the consent data category (consent.models.DATA_CATEGORIES) that
# responses to the instrument and their scores belong to; it decides their sensitivity labels.
CATEGORY_URL = SH + "data-category"
DATA_ABSENT_URL = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
LOCAL_SYSTEM = "https://safehaven.example.org/fhir/CodeSystem/screening"
LOINC = "http://loinc.org"
# The canonical given to a LOINC panel that arrives without a url (LOINC's own pattern).
LOINC_QUESTIONNAIRE = "http://loinc.org/q/"
LANGUAGES = ("es", "fr")  # the translations the tablet offers besides English

_FHIR_EXT = "http://hl7.org/fhir/StructureDefinition/"
_SDC_EXT = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"

SUPPORTED_TYPES = {
    "boolean", "choice", "open-choice", "integer", "decimal", "string", "text", "date",
    "display", "group",
}
# Hints about presentation, or about which answers another system may copy into
# Observations: they change nothing about what is asked, what an answer means or how it
# scores. LHC-Forms writes several of them on every item.
PRESENTATION_EXTENSIONS = {
    _FHIR_EXT + "questionnaire-itemControl",
    _FHIR_EXT + "questionnaire-hidden",
    _FHIR_EXT + "questionnaire-unit",
    _FHIR_EXT + "questionnaire-displayCategory",
    _FHIR_EXT + "questionnaire-optionPrefix",
    _FHIR_EXT + "questionnaire-choiceOrientation",
    _FHIR_EXT + "rendering-xhtml",
    _FHIR_EXT + "rendering-style",
    _FHIR_EXT + "translation",
    _FHIR_EXT + "entryFormat",
    _SDC_EXT + "sdc-questionnaire-entryFormat",
    _SDC_EXT + "sdc-questionnaire-shortText",
    _SDC_EXT + "sdc-questionnaire-observationExtract",
    _SDC_EXT + "sdc-questionnaire-observationLinkPeriod",
    _SDC_EXT + "sdc-questionnaire-observationExtractCategory",
}
SUPPORTED_EXTENSIONS = {
    ORDINAL_URL, ITEM_WEIGHT_URL, VARIABLE_URL, CALCULATED_URL, BAND_URL, POSITIVE_URL,
    MINIMUM_URL, SAFETY_URL, SENSITIVE_URL, WORDING_URL, TRANSLATION_VERIFIED_URL, YOUTH_URL, CATEGORY_URL,
} | PRESENTATION_EXTENSIONS
# Extensions we recognise and still refuse, because honouring them would change what is
# asked or what an answer means; the refusal says why.
REFUSED_BECAUSE = {
    _SDC_EXT + "sdc-questionnaire-enableWhenExpression": "it decides by rule which questions are asked",
    _SDC_EXT + "sdc-questionnaire-initialExpression": "it fills in answers from the record",
    _SDC_EXT + "sdc-questionnaire-candidateExpression": "it proposes answers from the record",
    _SDC_EXT + "sdc-questionnaire-answerExpression": "it computes the list of answers",
    _SDC_EXT + "sdc-questionnaire-launchContext":
        "its rules need record data (such as %patient) that Safe Haven does not pass",
    _FHIR_EXT + "questionnaire-constraint": "it adds rules that answers must meet",
    _FHIR_EXT + "cqf-library": "it needs a CQL library",
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


def _extension_problems(owner: dict, where: str, unknown: dict[str, list[str]]) -> list[str]:
    """Return problems with owner's extensions; add unsupported urls to unknown[url]."""
    problems = []
    if owner.get("modifierExtension"):
        problems.append(f"{where}.modifierExtension is not supported")
    for ext in owner.get("extension") or []:
        url = ext.get("url", "") if isinstance(ext, dict) else ""
        if url not in SUPPORTED_EXTENSIONS:
            unknown.setdefault(url, []).append(where)
            continue
        expr = ext.get("valueExpression")
        if isinstance(expr, dict) and expr.get("language") not in {None, "text/fhirpath"}:
            problems.append(
                f"{where}.extension '{url}' uses the language '{expr.get('language')}'"
                " (only text/fhirpath is supported)"
            )
    return problems


def _unknown_extension_problems(unknown: dict[str, list[str]]) -> list[str]:
    """Return one message per unsupported extension url, naming where it first appears."""
    out = []
    for url, places in unknown.items():
        text = f"{places[0]}.extension '{url}' is not supported"
        if url in REFUSED_BECAUSE:
            text += f": {REFUSED_BECAUSE[url]}"
        if len(places) > 1:
            text += f" (also in {len(places) - 1} more place{'s' if len(places) > 2 else ''})"
        out.append(text)
    return out


def unsupported_elements(data: dict) -> list[str]:
    """Return one message for each element of the Questionnaire that this product cannot honour.

    An unsupported extension is named once, at its first place, with how many other places
    carry it (LHC-Forms and other tools repeat the same extensions on every item).
    """
    problems: list[str] = []
    unknown: dict[str, list[str]] = {}
    if data.get("resourceType") != "Questionnaire":
        return [f"resourceType is '{data.get('resourceType')}', expected 'Questionnaire'"]
    for key in data:
        if key not in ROOT_KEYS:
            problems.append(f"Questionnaire.{key} is not supported")
    problems += _extension_problems(data, "Questionnaire", unknown)
    for where, item in _walk_items(data.get("item") or []):
        if not isinstance(item, dict):
            continue
        where = f"Questionnaire.{where} ({item.get('linkId', '?')})"
        for key in item:
            if key not in ITEM_KEYS:
                problems.append(f"{where}.{key} is not supported")
        if item.get("type") not in SUPPORTED_TYPES:
            problems.append(f"{where}.type '{item.get('type')}' is not supported")
        problems += _extension_problems(item, where, unknown)
        for opt_index, option in enumerate(item.get("answerOption") or []):
            if not isinstance(option, dict):
                continue
            for key in option:
                if key.startswith("value") and key not in OPTION_VALUES:
                    problems.append(f"{where}.answerOption[{opt_index}].{key} is not supported")
                if key == "extension":
                    problems += _extension_problems(
                        option, f"{where}.answerOption[{opt_index}]", unknown
                    )
            coding = option.get("valueCoding")
            if isinstance(coding, dict):
                problems += _extension_problems(
                    coding, f"{where}.answerOption[{opt_index}].valueCoding", unknown
                )
        for init_index, initial in enumerate(item.get("initial") or []):
            for key in initial:
                if key.startswith("value") and key not in INITIAL_VALUES:
                    problems.append(f"{where}.initial[{init_index}].{key} is not supported")
    return problems + _unknown_extension_problems(unknown)


def loinc_panel_code(data: dict) -> str:
    """Return the LOINC code that identifies the Questionnaire (identifier, then code), or ""."""
    candidates = [
        ident.get("value") for ident in data.get("identifier") or []
        if isinstance(ident, dict) and ident.get("system") == LOINC
    ] + [
        coding.get("code") for coding in data.get("code") or []
        if isinstance(coding, dict) and coding.get("system") == LOINC
    ]
    for code in candidates:
        if isinstance(code, str) and re.fullmatch(r"\d{1,8}-\d", code):
            return code
    return ""


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_FHIRPATH_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _rename_variables(data: dict) -> dict[str, str]:
    """Give variables whose names FHIR R4 refuses a name it accepts; return {old: new}.

    FHIR R4 types Expression.name as `id` (letters, digits, '-' and '.'), yet tools such as
    the LHC-Forms rule editor write FHIRPath names like `any_questions_answered`. Each such
    name becomes its camelCase form (`anyQuestionsAnswered`), and every `%name` in the
    Questionnaire's expressions is rewritten to match, so what is calculated stays the same
    and the stored Questionnaire is valid R4.
    """
    owners = [data] + [item for _w, item in _walk_items(data.get("item") or [])
                       if isinstance(item, dict)]
    expressions = [
        ext["valueExpression"] for owner in owners for ext in owner.get("extension") or []
        if isinstance(ext, dict) and isinstance(ext.get("valueExpression"), dict)
    ]
    names = {e.get("name") for e in expressions if isinstance(e.get("name"), str)}
    renames: dict[str, str] = {}
    for name in sorted(names):
        if _FHIR_ID.fullmatch(name) or not _FHIRPATH_NAME.fullmatch(name):
            continue
        parts = [part for part in name.split("_") if part]
        new = (parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])) if parts else "v"
        new = new[:60]
        candidate, n = new, 2
        while candidate in names or candidate in renames.values():
            candidate, n = f"{new}{n}", n + 1
        renames[name] = candidate
    if not renames:
        return renames
    pattern = re.compile(
        r"%(`?)(" + "|".join(re.escape(old) for old in sorted(renames, key=len, reverse=True))
        + r")\1(?![A-Za-z0-9_])"
    )
    for expr in expressions:
        if expr.get("name") in renames:
            expr["name"] = renames[expr["name"]]
        if isinstance(expr.get("expression"), str):
            expr["expression"] = pattern.sub(lambda m: "%" + renames[m.group(2)], expr["expression"])
    return renames


def check_questionnaire(
    text: str | bytes, *, source: str = "file", notes: list[str] | None = None
) -> dict:
    """Return the Questionnaire JSON in text if this product supports all of it.

    Raise InstrumentError naming the line and reason of a JSON error, each unsupported
    element, or each FHIR R4 validation error. A Questionnaire without `url` (LHC-Forms
    often leaves it out) that is identified by a LOINC panel code gets the canonical
    http://loinc.org/q/CODE, and variable names R4 refuses are renamed (see
    `_rename_variables`); what was done is appended to `notes` for the administrator.
    """
    from fhir.resources.R4B.questionnaire import Questionnaire
    from pydantic import ValidationError

    notes = notes if notes is not None else []
    data = parse_json(text, source=source)
    problems = unsupported_elements(data)
    if problems:
        raise InstrumentError(problems)
    renames = _rename_variables(data)
    if renames:
        notes.append(
            f"{source}: FHIR R4 does not allow '_' in variable names, so "
            + ", ".join(f"{old} is stored as {new}" for old, new in renames.items())
            + "; the calculations are unchanged."
        )
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
        code = loinc_panel_code(data)
        if not code:
            raise InstrumentError([
                f"{source}: Questionnaire.url is required to identify the instrument"
                " (there is no url and no LOINC code to derive one from)"
            ])
        data["url"] = LOINC_QUESTIONNAIRE + code
        notes.append(
            f"{source}: the file has no url; Safe Haven identifies it as {data['url']} from its"
            f" LOINC code {code}. Importing a file with the same code and version again replaces it."
        )
    problems = _category_problems(data)
    seen: set[str] = set()
    for _where, item in _walk_items(data.get("item") or []):
        link = item.get("linkId")
        if link in seen:
            problems.append(f"linkId '{link}' is used twice")
        seen.add(link)
    options = _options(data)
    for where, expression, names in _scoped_expressions(data):
        try:
            evaluate({"resourceType": "QuestionnaireResponse"}, expression,
                     _context({}, data, {name: [] for name in names}),
                     model=fhirpath_models["r4"], options=options)
        except Exception as exc:  # fhirpathpy raises plain exceptions for bad expressions
            hint = (
                " (a variable is usable only on the item that declares it and the items inside it)"
                if "undefined environment variable" in str(exc) else ""
            )
            problems.append(
                f"{where}: FHIRPath expression '{expression[:80]}' cannot be evaluated: {exc}{hint}"
            )
    if problems:
        raise InstrumentError(problems)
    return data


def _scoped_expressions(data: dict):
    """Yield (where, expression, variable names in scope) for every expression, root first."""

    def declared(owner: dict) -> list[str]:
        return [
            ext["valueExpression"]["name"] for ext in owner.get("extension") or []
            if ext.get("url") == VARIABLE_URL and (ext.get("valueExpression") or {}).get("name")
        ]

    def expressions(owner: dict, where: str, outer: list[str]):
        names = outer + declared(owner)
        for ext in owner.get("extension") or []:
            expr = ext.get("valueExpression")
            if isinstance(expr, dict) and expr.get("expression"):
                yield where, expr["expression"], names
        for item in owner.get("item") or []:
            if isinstance(item, dict):
                yield from expressions(item, f"item {item.get('linkId', '?')}", names)

    yield from expressions(data, "Questionnaire", [])


def ext_value(owner: dict, url: str, default: Any = None) -> Any:
    """Return the value[x] of the first extension with this url on owner."""
    for ext in owner.get("extension") or []:
        if ext.get("url") == url:
            for key, value in ext.items():
                if key.startswith("value"):
                    return value
            return ext
    return default


# LOINC panels whose data category is known, for files that do not say theirs (an
# LHC-Forms export of a panel Safe Haven also ships). The codes are the shipped files' own.
PANEL_CATEGORIES = {
    "44249-1": "mental_health",  # PHQ-9
    "55757-9": "mental_health",  # PHQ-2
    "69737-5": "mental_health",  # GAD-7
    "72109-2": "substance_use",  # AUDIT-C
    "82666-9": "substance_use",  # DAST-10
}
# What a response to an instrument of unknown content is treated as: the most protected
# category, so that nothing leaves under a weaker label than it deserves.
UNKNOWN_CATEGORY = "trafficking_related"


def _declared_categories(data: dict) -> list:
    return [
        ext.get("valueCode") for ext in data.get("extension") or []
        if isinstance(ext, dict) and ext.get("url") == CATEGORY_URL
    ]


def _category_problems(data: dict) -> list[str]:
    from safehaven.consent.models import DATA_CATEGORY_CODES

    return [
        f"Questionnaire.extension '{CATEGORY_URL}': '{code}' is not a data category"
        f" (one of {', '.join(DATA_CATEGORY_CODES)})"
        for code in _declared_categories(data) if code not in DATA_CATEGORY_CODES
    ]


def data_categories(data: dict) -> list[str]:
    """Return the data categories that responses to this Questionnaire (and their scores) disclose.

    The Questionnaire's own `data-category` extensions decide; without them, a LOINC panel
    code Safe Haven knows (an imported LHC-Forms PHQ-9 is mental health); otherwise the most
    protected category, whatever the instrument is called.
    """
    declared = [code for code in _declared_categories(data) if isinstance(code, str) and code]
    if declared:
        return sorted(set(declared))
    category = PANEL_CATEGORIES.get(loinc_panel_code(data))
    return [category or UNKNOWN_CATEGORY]


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
        "translations": translations(data),
    }


# --- languages ----------------------------------------------------------------------------

def _sub_values(ext: dict) -> dict[str, Any]:
    """Return {sub-extension url: value[x]} of a complex extension."""
    return {
        sub.get("url"): next((v for k, v in sub.items() if k.startswith("value")), None)
        for sub in ext.get("extension") or [] if isinstance(sub, dict)
    }


def _translation_languages(node: Any, found: set[str]) -> None:
    if isinstance(node, list):
        for value in node:
            _translation_languages(value, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("_") and isinstance(value, dict):
                for ext in value.get("extension") or []:
                    if isinstance(ext, dict) and ext.get("url") == TRANSLATION_URL:
                        lang = _sub_values(ext).get("lang")
                        if isinstance(lang, str) and lang:
                            found.add(lang)
            else:
                _translation_languages(value, found)


def translations(data: dict) -> dict[str, bool]:
    """Return {language: verified} for each language the Questionnaire carries text in.

    `verified` is true only when a `translation-verified` extension says so for that
    language: a translation checked against a validated published one. Otherwise it is
    a plain-language rendering that has not been validated.
    """
    found: set[str] = set()
    _translation_languages(data.get("item") or [], found)
    _translation_languages({k: v for k, v in data.items() if k.startswith("_")}, found)
    verified: dict[str, bool] = {}
    for ext in data.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == TRANSLATION_VERIFIED_URL:
            parts = _sub_values(ext)
            if isinstance(parts.get("lang"), str):
                verified[parts["lang"]] = parts.get("verified") is True
    return {lang: verified.get(lang, False) for lang in sorted(found)}


def translated(owner: dict, key: str, lang: str) -> str:
    """Return owner[key] in the language lang when a translation exists, else as written."""
    for ext in (owner.get("_" + key) or {}).get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == TRANSLATION_URL:
            parts = _sub_values(ext)
            if parts.get("lang") == lang and isinstance(parts.get("content"), str) and parts["content"]:
                return parts["content"]
    value = owner.get(key, "")
    return value if isinstance(value, str) else ""


# --- scoring ------------------------------------------------------------------------------

def _ordinal_map(questionnaire: dict) -> dict[str, list[tuple[str, Decimal]]]:
    """Return {answer code: [(system, ordinal), ...]} over every answerOption coding."""
    out: dict[str, list[tuple[str, Decimal]]] = {}
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
                out.setdefault(coding.get("code", ""), []).append(
                    (coding.get("system", ""), Decimal(str(value)))
                )
    return out


def same_coding(a: dict, b: dict) -> bool:
    """Return whether two codings name the same answer.

    The codes must be equal; the systems too, unless one side leaves its system out (LHC-Forms
    writes LOINC answer codes without a system, other tools with http://loinc.org).
    """
    if a.get("code") != b.get("code"):
        return False
    return not a.get("system") or not b.get("system") or a.get("system") == b.get("system")


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
            for system, value in ordinals.get(coding.get("code", ""), []):
                if same_coding(coding, {"code": coding.get("code"), "system": system}):
                    out.append(float(value))
                    break
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
    # With no value: the lowest total the answers recorded allow, kept only when it already
    # reaches the cut-off (positive, "at least"); `interpretation` is then its band.
    at_least: Decimal | None = None


@dataclass
class Score:
    """The result of scoring one response.

    `answered` of `asked` questions were answered: the questions the person was asked
    (those enableWhen leaves on, not score fields kept for staff), an answer of "prefer
    not to say" or a skipped question counting as not answered.
    """

    calculated: list[Calculated] = field(default_factory=list)
    positive: bool = False
    safety: bool = False  # a same-visit safety response is needed
    youth_screen: bool = False
    answered: int = 0
    asked: int = 0

    @property
    def status(self) -> str:
        """Return "declined" (no question answered), "incomplete" (a total is missing) or "complete".

        A screen positive before it is complete ("at least N") is incomplete, and positive.
        """
        if self.answered == 0:
            return "declined"
        if any(c.value is None for c in self.calculated):
            return "incomplete"
        return "complete"

    def as_json(self) -> dict:
        return {
            "calculated": [
                {
                    "linkId": c.link_id,
                    "code": c.code,
                    "system": c.system,
                    "display": c.display,
                    "value": _plain(c.value),
                    "atLeast": _plain(c.at_least),
                    "interpretation": c.interpretation,
                    "positive": c.positive,
                }
                for c in self.calculated
            ],
            "positive": self.positive,
            "safetyResponse": self.safety,
            "result": self.status,
            "answered": self.answered,
            "asked": self.asked,
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


def _set_answer(response: dict, item: dict, value: Decimal | None, path: list[dict]) -> None:
    """Write a calculated value into the response (creating the item where it belongs).

    No value (the expression gave an empty result) leaves the item without an answer.
    """
    link_id = item["linkId"]
    existing = _find_response_item(response, link_id)
    answer = [] if value is None else [_number_answer(value, item.get("type", ""))]
    if existing is not None:
        if answer:
            existing["answer"] = answer
        else:
            existing.pop("answer", None)
        return
    if not answer:
        return
    container = response
    for parent in path:
        found = None
        for child in container.setdefault("item", []):
            if child.get("linkId") == parent["linkId"]:
                found = child
        if found is None:
            found = {"linkId": parent["linkId"]}
            container["item"].append(found)
        container = found
    container.setdefault("item", []).append({"linkId": link_id, "answer": answer})


def _number_answer(value: Decimal, kind: str) -> dict:
    """Return the answer for an integer or decimal item (valueDecimal when it is not whole)."""
    whole = value == value.to_integral_value()
    if kind == "decimal":
        return {"valueDecimal": int(value) if whole else float(value)}
    if whole:
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

    Evaluate the `variable`s (a variable is visible on the item that declares it and the
    items inside it, as SDC says), then every item's `calculatedExpression` in document
    order (written back into the response so later expressions can use them), interpret
    each calculated item with its bands and positive threshold, and evaluate the safety
    rules. `%resource` is the response and `%questionnaire` the Questionnaire wherever an
    expression sits. A calculation that gives an empty result leaves the item unanswered:
    no total is better than a made-up 0. The Questionnaire's own rules say when a partial
    response has a total (the shipped ones follow each instrument's guidance); whatever
    they say, a response with no question answered has none. A total missing from a
    partial response whose `minimum-total` already reaches the cut-off is positive: its
    `at_least` is that minimum and its interpretation that minimum's band (the score is
    at least there). The response dict is updated in place with the calculated answers
    (never with a minimum: it is not the total).
    """
    return _score(questionnaire, response)


def _score(questionnaire: dict, response: dict, *, keep_totals_without_answers: bool = False) -> Score:
    model = fhirpath_models["r4"]
    options = _options(questionnaire)
    answered, asked = answer_counts(questionnaire, response)

    def run(expression: str, variables: dict) -> list:
        try:
            return evaluate(response, expression, _context(response, questionnaire, variables),
                            model=model, options=options)
        except Exception as exc:  # fhirpathpy raises plain exceptions
            raise InstrumentError([f"FHIRPath '{expression[:80]}' failed: {exc}"]) from None

    def with_variables(owner: dict, outer: dict) -> dict:
        scope = dict(outer)
        for ext in owner.get("extension") or []:
            if ext.get("url") == VARIABLE_URL:
                expr = ext.get("valueExpression") or {}
                if expr.get("name") and expr.get("expression"):
                    scope[expr["name"]] = run(expr["expression"], scope)
        return scope

    result = Score(youth_screen=bool(ext_value(questionnaire, YOUTH_URL, False)),
                   answered=answered, asked=asked)
    calculated_items = []
    safety_rules = []

    def visit(items: list, parents: list, outer: dict) -> None:
        for item in items or []:
            scope = with_variables(item, outer)
            expr = ext_value(item, CALCULATED_URL)
            if isinstance(expr, dict) and expr.get("expression"):
                value = (_first_number(run(expr["expression"], scope))
                         if answered or keep_totals_without_answers else None)
                _set_answer(response, item, value, parents)
                minimum = None
                low = ext_value(item, MINIMUM_URL)
                if value is None and answered and isinstance(low, dict) and low.get("expression"):
                    minimum = _first_number(run(low["expression"], scope))
                calculated_items.append((item, value, minimum))
            safety_rules.append((item, scope))
            visit(item.get("item") or [], parents + [item], scope)

    root_scope = with_variables(questionnaire, {})
    safety_rules.append((questionnaire, root_scope))
    visit(questionnaire.get("item") or [], [], root_scope)
    for item, value, minimum in calculated_items:
        codes = item.get("code") or []
        code = codes[0] if codes else {}
        interpretation, positive = _interpret(item, value)
        at_least = None
        if value is None and minimum is not None:
            band, reached = _interpret(item, minimum)
            if reached:  # positive whatever the questions not answered would have added
                interpretation, positive, at_least = band, True, minimum
        result.calculated.append(
            Calculated(
                link_id=item["linkId"],
                code=code.get("code", item["linkId"]),
                system=code.get("system", LOCAL_SYSTEM),
                display=code.get("display", item.get("text", "")),
                value=value,
                interpretation=interpretation,
                positive=positive,
                at_least=at_least,
            )
        )
        result.positive = result.positive or positive
    for owner, scope in safety_rules:
        rule = ext_value(owner, SAFETY_URL)
        if isinstance(rule, dict) and rule.get("expression"):
            if any(v is True for v in run(rule["expression"], scope)):
                result.safety = True
    return result


def answer_counts(questionnaire: dict, response: dict) -> tuple[int, int]:
    """Return (questions answered, questions asked) in a response.

    The questions asked are those a person answers (`answerable_items`, without score
    fields kept for staff) that enableWhen leaves on given the answers; a question
    answered "prefer not to say" or skipped is not answered.
    """
    answers: dict[str, list[dict]] = {}
    for _w, item in _walk_items(response.get("item") or []):
        if isinstance(item, dict) and item.get("answer"):
            answers.setdefault(item.get("linkId", ""), []).extend(item["answer"])
    asked = [item for item in answerable_items(questionnaire, self_administered=True)
             if is_enabled(item, answers)]
    return sum(1 for item in asked if answers.get(item["linkId"])), len(asked)


def has_scoring(questionnaire: dict) -> bool:
    """Return whether the Questionnaire calculates anything (a total, a subscale)."""
    return any(
        isinstance(ext_value(item, CALCULATED_URL), dict)
        for _w, item in _walk_items(questionnaire.get("item") or [])
    )


def has_cut_off(questionnaire: dict) -> bool:
    """Return whether any calculated item says at which value the screen is positive."""
    return any(
        ext_value(item, POSITIVE_URL) is not None
        for _w, item in _walk_items(questionnaire.get("item") or [])
    )


def has_safety_rule(questionnaire: dict) -> bool:
    """Return whether the Questionnaire has a same-visit safety rule."""
    owners = [questionnaire] + [item for _w, item in _walk_items(questionnaire.get("item") or [])]
    return any(isinstance(ext_value(owner, SAFETY_URL), dict) for owner in owners)


# Questions whose silence staff should hear about even without a safety rule: PHQ-9 item 9
# (thoughts of self-harm), as LHC-Forms and other tools code it.
SAFETY_QUESTION_CODES = {(LOINC, "44260-8")}


def safety_questions(questionnaire: dict) -> list[tuple[int, str]]:
    """Return [(number, linkId)] of the questions a same-visit safety rule depends on.

    A question counts when a safety rule's expression names its linkId, or when it is
    coded as PHQ-9 item 9 (LOINC 44260-8) in a file without the rule. `number` is its
    place, from 1, among the questions a person answers (the "9" of "question 9").
    """
    named: set[str] = set()
    owners = [questionnaire] + [item for _w, item in _walk_items(questionnaire.get("item") or [])]
    for owner in owners:
        rule = ext_value(owner, SAFETY_URL)
        if isinstance(rule, dict) and isinstance(rule.get("expression"), str):
            named.update(re.findall(r"'([^']+)'", rule["expression"]))
    out = []
    for number, item in enumerate(answerable_items(questionnaire, self_administered=True), start=1):
        codes = {(c.get("system"), c.get("code")) for c in item.get("code") or [] if isinstance(c, dict)}
        if item["linkId"] in named or codes & SAFETY_QUESTION_CODES:
            out.append((number, item["linkId"]))
    return out


def unanswered_safety_questions(questionnaire: dict, response: dict) -> list[int]:
    """Return the numbers of the safety questions asked in a response and not answered.

    Skipped and "prefer not to say" alike: staff are prompted to ask about safety in
    person. A question enableWhen left off was not asked. Nothing is stored about it.
    """
    wanted = safety_questions(questionnaire)
    if not wanted:
        return []
    answers: dict[str, list[dict]] = {}
    for _w, item in _walk_items(response.get("item") or []):
        if isinstance(item, dict) and item.get("answer"):
            answers.setdefault(item.get("linkId", ""), []).extend(item["answer"])
    items = {i["linkId"]: i for i in answerable_items(questionnaire, self_administered=True)}
    return [number for number, link in wanted
            if is_enabled(items[link], answers) and not answers.get(link)]


def _total_without_answers(questionnaire: dict) -> bool:
    """Return whether the file's own rules give a total to a response with no answer."""
    empty: dict = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": []}
    try:
        result = _score(questionnaire, empty, keep_totals_without_answers=True)
    except InstrumentError:
        return False
    return any(c.value is not None for c in result.calculated)


def is_score_field(item: dict) -> bool:
    """Return whether an item holds a score that nothing calculates (unit {score}).

    Older LHC-Forms exports leave the total as a plain number for the clinician to fill
    in; the person answering on the tablet is never asked for it.
    """
    if item.get("type") not in {"integer", "decimal"} or ext_value(item, CALCULATED_URL):
        return False
    unit = ext_value(item, _FHIR_EXT + "questionnaire-unit")
    return isinstance(unit, dict) and "{score}" in {unit.get("code"), unit.get("display")}


def scoring_notes(questionnaire: dict) -> list[str]:
    """Return what an administrator must know about how this Questionnaire is scored."""
    notes = []
    required = sum(
        1 for _w, item in _walk_items(questionnaire.get("item") or [])
        if item.get("required") is True and item.get("type") not in {"group", "display"}
    )
    if not has_scoring(questionnaire):
        fields = [i["linkId"] for _w, i in _walk_items(questionnaire.get("item") or [])
                  if is_score_field(i)]
        text = (
            "the file calculates no score: answers are saved without a total, nothing is marked"
            " positive and no follow-up opens automatically."
        )
        if fields:
            text += (
                f" The score field {', '.join(fields)} is not shown on the tablet; staff may type"
                " a total they worked out, which is kept with the answers only."
            )
        notes.append(text)
    else:
        if not has_cut_off(questionnaire):
            notes.append(
                "the file sets no cut-off: its total is recorded, but nothing is marked positive"
                " and no follow-up opens automatically."
            )
        if _total_without_answers(questionnaire):
            notes.append(
                "the file calculates a total even when no question is answered; Safe Haven records"
                " no total then (declined), never a 0. Check how its rules treat skipped questions."
            )
    if required:
        notes.append(
            f"the file marks {required} question{'s' if required != 1 else ''} as required;"
            " Safe Haven still lets the person skip any question."
        )
    return notes


# --- answering ---------------------------------------------------------------------------

def answerable_items(questionnaire: dict, *, self_administered: bool = False) -> list[dict]:
    """Return the items a person answers (not groups, displays or calculated items), in order.

    With self_administered (the tablet), score fields left for staff are left out too.
    """
    out = []
    for item, _parents in _items_with_parents(questionnaire.get("item") or []):
        if item.get("type") in {"group", "display"}:
            continue
        if ext_value(item, CALCULATED_URL) is not None or item.get("readOnly"):
            continue
        if self_administered and is_score_field(item):
            continue
        out.append(item)
    return out


def _answer_matches(answer: dict, operator: str, expected: Any) -> bool:
    value = next((v for k, v in answer.items() if k.startswith("value")), None)
    if isinstance(value, dict) and isinstance(expected, dict):
        same = same_coding(value, expected)
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
