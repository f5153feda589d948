"""The curriculum as data: one JSON file per module in this folder.

Text fields are {"en": ..., "es": ..., "fr": ...}. English is complete; Spanish and French
cover at least the titles and the knowledge checks (other text falls back to English).
"""

import json
from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent
LANGS = ("en", "es", "fr")


class ContentError(ValueError):
    """A curriculum file is malformed; the message names the module and the problem."""


def _text(value, where: str, langs=("en",)) -> None:
    if not isinstance(value, dict):
        raise ContentError(f"{where}: expected text per language")
    for lang in langs:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise ContentError(f"{where}: missing {lang} text")


def validate_module(data: dict) -> None:
    """Raise ContentError unless the module data is complete and every item has one right answer."""
    code = data.get("code") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code:
        raise ContentError("a module has no code")
    _text(data.get("title"), f"{code}.title", LANGS)
    _text(data.get("summary"), f"{code}.summary")
    for name in ("readings", "vignettes", "questions"):
        if not isinstance(data.get(name), list) or not data[name]:
            raise ContentError(f"{code}: needs at least one item in {name}")
    for i, reading in enumerate(data["readings"]):
        _text(reading.get("title"), f"{code}.readings[{i}].title")
        _text(reading.get("body"), f"{code}.readings[{i}].body")
    for i, vignette in enumerate(data["vignettes"]):
        _text(vignette.get("title"), f"{code}.vignettes[{i}].title")
        _text(vignette.get("body"), f"{code}.vignettes[{i}].body")
        _text(vignette.get("discuss"), f"{code}.vignettes[{i}].discuss")
    keys = set()
    for q in data["questions"]:
        key = q.get("key")
        if not isinstance(key, str) or not key or key in keys:
            raise ContentError(f"{code}: question keys must be present and unique")
        keys.add(key)
        _text(q.get("prompt"), f"{code}.{key}.prompt", LANGS)
        _text(q.get("explanation"), f"{code}.{key}.explanation")
        options = q.get("options")
        if not isinstance(options, list) or len(options) < 2:
            raise ContentError(f"{code}.{key}: needs at least two options")
        if len({o.get("key") for o in options}) != len(options):
            raise ContentError(f"{code}.{key}: option keys must be unique")
        for o in options:
            _text(o.get("text"), f"{code}.{key}.{o.get('key')}", LANGS)
        if sum(1 for o in options if o.get("correct") is True) != 1:
            raise ContentError(f"{code}.{key}: exactly one option must be correct")


def read_modules(folder: Path | None = None) -> list[dict]:
    """Return the module data from every JSON file in the folder, in file-name order."""
    folder = Path(folder) if folder else CONTENT_DIR
    modules = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ContentError(f"{path.name}: {exc}") from None
        validate_module(data)
        modules.append(data)
    return modules
