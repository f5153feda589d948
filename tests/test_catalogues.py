"""Every text staff or patients can see has its Spanish and French translation."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "safehaven"
CATALOGUES = sorted(p for p in ROOT.rglob("django.po") if p.parent.parent.name in {"es", "fr"})


def _entries(path: Path):
    """Yield (msgid, [msgstr...], fuzzy) for each live entry of a .po file (obsolete ones skipped)."""
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines if not line.startswith("#,")):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                fields[current] += ast.literal_eval(line)
                continue
            current, _space, value = line.partition(" ")
            fields[current] = ast.literal_eval(value)
        if "msgid" not in fields:
            continue
        strs = [v for k, v in fields.items() if k.startswith("msgstr")]
        yield fields["msgid"], strs, fuzzy


def test_there_are_spanish_and_french_catalogues():
    assert len(CATALOGUES) >= 20


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated(path):
    missing = [msgid for msgid, strs, fuzzy in _entries(path)
               if msgid and (fuzzy or not strs or not all(strs))]
    assert not missing, f"{len(missing)} untranslated in {path.relative_to(ROOT)}: {missing[:5]}"


def test_the_reader_sees_untranslated_and_fuzzy_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: es\\n"\n\nmsgid "Yes"\nmsgstr "Sí"\n\n'
                  'msgid "Left"\nmsgstr ""\n\n#, fuzzy\nmsgid "Maybe"\nmsgstr "Quizás"\n\n'
                  'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "uno"\nmsgstr[1] ""\n\n'
                  '#~ msgid "Old"\n#~ msgstr ""\n', encoding="utf-8")
    entries = {msgid: (strs, fuzzy) for msgid, strs, fuzzy in _entries(po)}
    assert entries["Yes"] == (["Sí"], False)
    assert entries["Left"] == ([""], False)
    assert entries["Maybe"] == (["Quizás"], True)
    assert entries["one"] == (["uno", ""], False)
    assert "Old" not in entries
