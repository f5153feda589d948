"""Build PHQ-9 Questionnaires and responses shaped like NLM LHC-Forms exports (tests only).

LHC-Forms writes LOINC panels with its own habits: linkIds are "/" + the LOINC code,
answer codings carry no system, every question carries observation-extraction hints,
answer options carry a printed prefix and an ordinalValue, and the rule editor puts one
`variable` per scored question plus a `calculatedExpression` on the total item. This
module reproduces that shape from scratch so the engine can be tested against it; the
item wording comes from the PHQ-9 shipped with Safe Haven.

Regenerate the JSON fixture with `python -m tests.screening.lhc_forms`.
"""

import json
from pathlib import Path

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
EXT = "http://hl7.org/fhir/StructureDefinition/"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
LHC_EXT = "http://lhcforms.nlm.nih.gov/fhir/ext/"
PANEL = "44249-1"
TOTAL_LINK = "/39156-5"  # LHC-Forms reuses this linkId for the PHQ-9 total
TOTAL_CODE = "44261-6"
DIFFICULTY = "69722-7"
GROUP_LINK = "/" + PANEL
FIXTURE = Path(__file__).resolve().parent / "data" / "lhc-phq9.json"

FREQUENCY = [
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
]
HOW_HARD = [
    ("LA6572-7", "Not difficult at all"),
    ("LA6573-5", "Somewhat difficult"),
    ("LA6575-0", "Very difficult"),
    ("LA6574-3", "Extremely difficult"),
]


def _question_texts() -> list[tuple[str, str]]:
    shipped = Path(__file__).resolve().parents[2] / "safehaven/screening/instruments/phq-9.json"
    data = json.loads(shipped.read_text(encoding="utf-8"))
    return [
        (item["code"][0]["code"], item["text"])
        for item in data["item"]
        if item.get("type") == "choice"
    ]


QUESTIONS = _question_texts()
CODES = [code for code, _text in QUESTIONS]
NAMES = "abcdefghi"


def _extraction() -> list[dict]:
    return [
        {
            "url": SDC + "sdc-questionnaire-observationLinkPeriod",
            "valueDuration": {"value": 1, "unit": "year", "system": UCUM, "code": "a"},
        },
        {"url": SDC + "sdc-questionnaire-observationExtract", "valueBoolean": True},
    ]


def _drop_down() -> dict:
    return {
        "url": EXT + "questionnaire-itemControl",
        "valueCodeableConcept": {"coding": [{
            "system": "http://hl7.org/fhir/questionnaire-item-control",
            "code": "drop-down", "display": "Drop down",
        }]},
    }


def _option(code: str, display: str, ordinal: int | None, option_system: str | None) -> dict:
    coding = {"code": code, "display": display}
    if option_system:
        coding = {"system": option_system, **coding}
    option: dict = {"valueCoding": coding}
    if ordinal is not None:
        option["extension"] = [
            {"url": EXT + "questionnaire-optionPrefix", "valueString": str(ordinal)},
            {"url": EXT + "ordinalValue", "valueDecimal": ordinal},
        ]
    return option


def _question(code: str, text: str, option_system: str | None) -> dict:
    return {
        "type": "choice",
        "code": [{"system": LOINC, "code": code, "display": text}],
        "extension": _extraction() + [_drop_down()],
        "required": False,
        "linkId": f"/{code}",
        "text": text,
        "answerOption": [
            _option(c, d, n, option_system) for n, (c, d) in enumerate(FREQUENCY)
        ],
    }


def _where(root: str, link: str, grouped: bool) -> str:
    path = f"{root}.item"
    if grouped:
        path += f".where(linkId = '{GROUP_LINK}').item"
    return f"{path}.where(linkId = '{link}')"


def _score_variable(name: str, code: str, grouped: bool) -> dict:
    link = f"/{code}"
    chosen = _where("%resource", link, grouped) + ".answer.valueCoding.code"
    expression = (
        _where("%questionnaire", link, grouped)
        + f".answerOption.where(valueCoding.code={chosen})"
        + f".extension.where(url='{EXT}ordinalValue').valueDecimal"
    )
    return {
        "url": EXT + "variable",
        "valueExpression": {
            "name": name,
            "language": "text/fhirpath",
            "expression": expression,
            "extension": [{"url": LHC_EXT + "rule-editor-score-variable"}],
        },
    }


def _scoring_rules(grouped: bool) -> list[dict]:
    names = NAMES[: len(CODES)]
    rules = [_score_variable(n, c, grouped) for n, c in zip(names, CODES, strict=True)]
    rules.append({
        "url": EXT + "variable",
        "valueExpression": {
            "name": "any_questions_answered",
            "language": "text/fhirpath",
            "expression": " or ".join(f"%{n}.exists()" for n in names),
        },
    })
    total = " + ".join(f"iif(%{n}.exists(), %{n}, 0)" for n in names)
    rules.append({
        "url": SDC + "sdc-questionnaire-calculatedExpression",
        "valueExpression": {
            "description": "Total score calculation",
            "language": "text/fhirpath",
            "expression": f"iif(%any_questions_answered, {total}, {{}})",
            "extension": [{"url": LHC_EXT + "rule-editor-expression"}],
        },
    })
    return rules


def _total(rules: bool, grouped: bool) -> dict:
    category = {
        "url": EXT + "questionnaire-displayCategory",
        "valueCodeableConcept": {
            "coding": [{"system": "http://hl7.org/fhir/questionnaire-display-category",
                        "code": "instructions"}],
            "text": (
                "Add up the nine answers, each worth 0 to 3 points. Totals of 5, 10, 15 and 20 "
                "are the usual thresholds for mild, moderate, moderately severe and severe "
                "symptoms. A clinician interprets the total together with the interview."
            ),
        },
    }
    unit = {"url": EXT + "questionnaire-unit", "valueCoding": {"display": "{score}"}}
    extensions = [category] + _extraction() + [unit]
    if rules:
        extensions += _scoring_rules(grouped)
    return {
        "type": "decimal",
        "code": [{"system": LOINC, "code": TOTAL_CODE,
                  "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"}],
        "extension": extensions,
        "required": False,
        "linkId": TOTAL_LINK,
        "text": "PHQ-9 total score",
    }


def _difficulty(option_system: str | None) -> dict:
    return {
        "type": "choice",
        "code": [{"system": LOINC, "code": DIFFICULTY,
                  "display": "How difficult have these problems made it for you"}],
        "extension": _extraction() + [_drop_down()],
        "required": False,
        "linkId": f"/{DIFFICULTY}",
        "text": "How hard have these problems made your work, home life or getting along with people?",
        "answerOption": [_option(c, d, None, option_system) for c, d in HOW_HARD],
    }


def phq9(*, rules: bool = True, grouped: bool = False, option_system: str | None = None,
         url: str | None = None) -> dict:
    """Return a PHQ-9 Questionnaire in the LHC-Forms export shape.

    rules=False gives the older export with no variables and no calculatedExpression (the
    total is then a plain decimal input). grouped=True nests everything in a group item.
    option_system adds a system to the answer codings (LHC-Forms leaves it out).
    """
    items = [_question(code, text, option_system) for code, text in QUESTIONS]
    items += [_total(rules, grouped), _difficulty(option_system)]
    if grouped:
        items = [{"type": "group", "linkId": GROUP_LINK, "text": "PHQ-9", "required": False,
                  "item": items}]
    questionnaire = {
        "resourceType": "Questionnaire",
        "meta": {
            "versionId": "3",
            "lastUpdated": "2024-11-04T16:20:41.000-05:00",
            "source": "#lhcforms8Tq2",
            "profile": [SDC + "sdc-questionnaire|2.7"],
            "tag": [{"code": "lformsVersion: 28.1.1"}],
        },
        "extension": [],
        "identifier": [{"system": LOINC, "value": PANEL}],
        "code": [{"system": LOINC, "code": PANEL,
                  "display": "PHQ-9 quick depression assessment panel [Reported.PHQ]"}],
        "subjectType": ["Patient", "Person"],
        "status": "draft",
        "name": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
        "title": "PHQ-9 quick depression assessment panel",
        "item": items,
    }
    if url:
        questionnaire["url"] = url
    return questionnaire


def response(values: list[int | None], *, system: str | None = LOINC, grouped: bool = False,
             difficulty: int | None = None) -> dict:
    """Return a QuestionnaireResponse with one answer per PHQ-9 question (None: unanswered)."""
    items = []
    for (code, text), value in zip(QUESTIONS, values, strict=True):
        if value is None:
            continue
        answer_code, display = FREQUENCY[value]
        coding = {"code": answer_code, "display": display}
        if system:
            coding = {"system": system, **coding}
        items.append({"linkId": f"/{code}", "text": text, "answer": [{"valueCoding": coding}]})
    if difficulty is not None:
        answer_code, display = HOW_HARD[difficulty]
        items.append({"linkId": f"/{DIFFICULTY}", "answer": [{"valueCoding": {
            "code": answer_code, "display": display}}]})
    if grouped:
        items = [{"linkId": GROUP_LINK, "item": items}]
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": items}


def fixture_text() -> str:
    """Return the JSON fixture's text: the PHQ-9 with scoring rules, as LHC-Forms writes it."""
    return json.dumps(phq9(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(fixture_text(), encoding="utf-8")
    print(f"wrote {FIXTURE}")
