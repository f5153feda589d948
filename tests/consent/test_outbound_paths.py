"""Every outbound path asks the one decision function.

The rule (see safehaven/consent/outbound.py): a function that produces something that
leaves the clinic — a PDF, a CSV/XLSX/NDJSON/FHIR file or response, a message — must call
`may_disclose` itself, or be marked `@outbound(...)` (which enforces the call at run time),
or `@not_about_a_person(reason)`, or be reached only from functions that obey the rule.
This test finds such functions by their signatures anywhere in `safehaven/`, so a new
path (referral packets, reminders, bulk exports…) is covered the day it lands.
"""

import ast
from pathlib import Path

import pytest

from safehaven.consent.decision import Recipient, may_disclose
from safehaven.consent.outbound import (
    OUTBOUND,
    OutboundWithoutConsentCheck,
    not_about_a_person,
    outbound,
)

ROOT = Path(__file__).resolve().parents[2] / "safehaven"
# Calls that produce something that leaves the clinic.
OUTBOUND_CALLS = {
    "write_pdf", "FileResponse", "Workbook", "send_mail", "send_mass_mail", "EmailMessage",
    "EmailMultiAlternatives", "send_sms", "DictWriter",
}
# Content types and formats of files and responses that leave the clinic.
OUTBOUND_STRINGS = (
    "text/csv", "application/pdf", "application/fhir+json", "application/fhir+ndjson",
    "application/x-ndjson", "spreadsheetml", "application/zip",
)
DECIDERS = {"may_disclose"}
MARKERS = {"outbound", "register_outbound", "not_about_a_person"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _own_nodes(func: ast.AST):
    """Yield the nodes of a function, not those of functions nested in it."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_content_type(node: ast.AST, parents: dict) -> bool:
    """Return whether a string constant is used as a response's content type."""
    parent = parents.get(node)
    if isinstance(parent, ast.keyword) and parent.arg in {"content_type", "mimetype"}:
        return True
    if isinstance(parent, ast.Assign):
        return any(
            isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant)
            and str(t.slice.value).lower() == "content-type" for t in parent.targets
        )
    return False


class Func:
    """A function's outbound signatures, what it calls (name and module hint) and its markers."""

    def __init__(self, path: Path, node: ast.FunctionDef, aliases: dict[str, str],
                 origins: dict[str, str] | None = None):
        self.where = f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name}"
        self.key = f"{path.relative_to(ROOT.parent)}::{node.name}"
        self.name = node.name
        self.module = path.stem
        self.calls: set[str] = set()
        self.hinted: set[tuple[str, str]] = set()  # (module hint, name), hint "" when unknown
        origins = dict(origins or {})
        self.signatures: set[str] = set()
        own = list(_own_nodes(node))
        local_aliases = dict(aliases)
        parents = {}
        for child in own:
            for grandchild in ast.iter_child_nodes(child):
                parents[grandchild] = child
            if isinstance(child, ast.ImportFrom | ast.Import):
                for alias in child.names:
                    if alias.asname:
                        local_aliases[alias.asname] = alias.name.split(".")[-1]
                    if isinstance(child, ast.ImportFrom) and child.module:
                        origins[alias.asname or alias.name] = child.module.split(".")[-1]
        for child in own:
            if isinstance(child, ast.Call):
                called = _name(child)
                real = local_aliases.get(called, called)
                self.calls.add(real)
                if isinstance(child.func, ast.Attribute) and isinstance(child.func.value, ast.Name):
                    base = child.func.value.id
                    hint = local_aliases.get(base, base) if base in origins or base in local_aliases else ""
                    self.hinted.add((hint, real))
                elif isinstance(child.func, ast.Name):
                    self.hinted.add((origins.get(called, ""), real))
                is_csv = called == "writer" and isinstance(child.func, ast.Attribute) and _name(child.func.value) == "csv"
                if called in OUTBOUND_CALLS or is_csv:
                    self.signatures.add(called + "(")
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                if _is_content_type(child, parents):
                    self.signatures.update(s for s in OUTBOUND_STRINGS if s in child.value)
        self.marked = any(_name(d) in MARKERS for d in node.decorator_list)
        self.decides = bool(self.calls & DECIDERS)


def _module_aliases(tree: ast.Module) -> tuple[dict[str, str], dict[str, str]]:
    """Return (alias -> real name, imported name -> module it came from) of a module."""
    aliases, origins = {}, {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name.split(".")[-1]
                if isinstance(node, ast.ImportFrom) and node.module:
                    origins[alias.asname or alias.name] = node.module.split(".")[-1]
    return aliases, origins


def scan() -> list[Func]:
    funcs = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        aliases, origins = _module_aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                funcs.append(Func(path, node, aliases, origins))
    return funcs


# Reviewed exceptions, each with the reason. Prefer marking the function in its own app.
EXEMPT = {
    "safehaven/training/views.py::certificate":
        "a staff member's own training certificate: holds no information about anyone in care",
    "safehaven/evaluation/exports.py::to_csv": "aggregate, suppressed tables only (no person)",
    "safehaven/evaluation/exports.py::to_xlsx": "aggregate, suppressed tables only (no person)",
    "safehaven/evaluation/exports.py::to_pdf": "aggregate, suppressed tables only (no person)",
    "safehaven/fhir/views.py::export_file":
        "serves files of a bulk export whose content was decided by may_disclose when the "
        "export job wrote them (safehaven/fhir/access.py), only to the client that asked",
}


def violations(funcs: list[Func]) -> list[str]:
    callers: dict[str, list[tuple[str, Func]]] = {}
    by_name: dict[str, list[Func]] = {}
    for f in funcs:
        by_name.setdefault(f.name, []).append(f)
        for hint, called in f.hinted:
            callers.setdefault(called, []).append((hint, f))

    def callers_of(f: Func) -> list[Func]:
        """Functions that call f: same name, and the module they name (if any) is f's."""
        return [c for hint, c in callers.get(f.name, []) if c is not f and hint in {"", f.module}]

    def decides_below(f: Func, depth: int = 4) -> bool:
        """Whether f asks, or calls only-deciding functions that ask, within a few calls."""
        if f.decides:
            return True
        if depth == 0:
            return False
        return any(
            by_name.get(name) and all(decides_below(g, depth - 1) for g in by_name[name] if g is not f)
            and any(g is not f for g in by_name[name])
            for name in f.calls
        )

    def obeys(f: Func, seen: frozenset[str]) -> bool:
        if f.marked or f.key in EXEMPT or decides_below(f):
            return True
        if f.where in seen or len(seen) > 6:
            return False
        users = callers_of(f)
        return bool(users) and all(obeys(c, seen | {f.where}) for c in users)

    return [
        f"{f.where} produces {', '.join(sorted(f.signatures))} without asking may_disclose"
        for f in funcs if f.signatures and not obeys(f, frozenset())
    ]


def test_every_outbound_path_in_the_project_asks_may_disclose():
    bad = violations(scan())
    assert not bad, (
        "Outbound paths must call consent.decision.may_disclose (or be marked "
        "@consent.outbound.outbound / @not_about_a_person):\n" + "\n".join(bad)
    )


def test_the_scan_finds_the_known_outbound_paths():
    found = {f.where.split(" ")[-1] for f in scan() if f.signatures}
    assert {"render_pdf", "_pdf_response", "fhir_export"} <= found


def test_the_scan_catches_a_path_that_does_not_ask(tmp_path):
    source = (
        "from django.http import HttpResponse\n"
        "def export(request):\n    return HttpResponse('a,b', content_type='text/csv')\n"
        "def packet(person):\n    return HTML(string='x').write_pdf()\n"
        "def careful(person):\n    may_disclose(person, None, 'referral', [])\n    return helper()\n"
        "def helper():\n    return HTML(string='x').write_pdf()\n"
    )
    path = ROOT / "consent" / "_scan_probe.py"
    try:
        path.write_text(source)
        tree = ast.parse(source)
        funcs = [Func(path, n, {}) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    finally:
        path.unlink()
    bad = violations(funcs)
    assert len(bad) == 2 and "export" in bad[0] + bad[1] and "packet" in bad[0] + bad[1]


def test_the_registry_lists_the_consent_outbound_paths():
    assert {"consent.disclosure_log_pdf", "consent.summary_pdf", "consent.form_pdf",
            "consent.fhir_export"} <= set(OUTBOUND)
    assert all(p.about_a_person or p.reason for p in OUTBOUND.values())


@pytest.mark.django_db
def test_an_outbound_path_that_does_not_ask_is_stopped_at_run_time(cast):
    @outbound("test.forgetful")
    def forgetful():
        return b"secret"

    @outbound("test.careful")
    def careful():
        decision = may_disclose(cast.patient, Recipient(kind="category", category="housing"), "referral",
                                ["identity_contact"])
        return b"" if not decision else b"secret"

    with pytest.raises(OutboundWithoutConsentCheck):
        forgetful()
    assert careful() == b""
    OUTBOUND.pop("test.forgetful")
    OUTBOUND.pop("test.careful")


def test_not_about_a_person_needs_a_reason():
    with pytest.raises(ValueError):
        not_about_a_person(" ")
