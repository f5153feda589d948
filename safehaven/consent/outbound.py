"""The registry of outbound paths: every way information about a person leaves the clinic.

The rule: a function that produces something that leaves the clinic — a printout (PDF),
a file (CSV, XLSX, NDJSON, FHIR JSON), a referral packet, a reminder, a partner or FHIR
API response about a person — must ask `consent.decision.may_disclose(...)` before it
produces it, send only what the decision permits, and log it with `log_disclosure(...)`.

Mark such a function with `@outbound("app.thing", channel="print")` (or register an
existing callable with `register_outbound`). The decorator enforces the rule at run time:
if the function returns a successful result without `may_disclose` having been asked
during the call, it raises `OutboundWithoutConsentCheck` and nothing is sent.

Functions whose output carries no information about any person (aggregate, suppressed
figures; a blank form) are marked `@not_about_a_person("why")` instead.

`tests/consent/test_outbound_paths.py` scans `safehaven/**` for known outbound
signatures (`write_pdf(`, `text/csv`, `application/fhir+ndjson`, …) and fails when a
function that has one neither asks `may_disclose` nor is reached only from functions
that do, nor is marked with one of these decorators.
"""

import functools
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_DECISIONS: ContextVar[list | None] = ContextVar("consent_decisions", default=None)


class OutboundWithoutConsentCheck(RuntimeError):
    """An outbound path tried to send something without asking may_disclose."""


@dataclass(frozen=True)
class OutboundPath:
    name: str
    func: Callable
    channel: str
    about_a_person: bool = True
    reason: str = ""


OUTBOUND: dict[str, OutboundPath] = {}


def note_decision(decision: Any) -> None:
    """Remember, for the outbound call in progress, that a decision was asked for."""
    taken = _DECISIONS.get()
    if taken is not None:
        taken.append(decision)


def _succeeded(result: Any) -> bool:
    status = getattr(result, "status_code", None)
    return result is not None and (status is None or 200 <= status < 300)


def _guard(name: str, func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _DECISIONS.set([])
        try:
            result = func(*args, **kwargs)
            if _succeeded(result) and not _DECISIONS.get():
                raise OutboundWithoutConsentCheck(
                    f"{name} produced output without asking consent.decision.may_disclose"
                )
            return result
        finally:
            _DECISIONS.reset(token)

    wrapper.outbound_name = name  # type: ignore[attr-defined]
    return wrapper


def register_outbound(name: str, func: Callable, *, channel: str = "") -> Callable:
    """Register an outbound path and return it wrapped so it must ask may_disclose."""
    guarded = _guard(name, func)
    OUTBOUND[name] = OutboundPath(name=name, func=guarded, channel=channel)
    return guarded


def outbound(name: str, *, channel: str = "") -> Callable[[Callable], Callable]:
    """Mark a function as an outbound path (use as a decorator)."""

    def decorate(func: Callable) -> Callable:
        return register_outbound(name, func, channel=channel)

    return decorate


def not_about_a_person(reason: str) -> Callable[[Callable], Callable]:
    """Mark a function whose output holds no information about any person (say why)."""
    if not reason.strip():
        raise ValueError("say why the output holds nothing about a person")

    def decorate(func: Callable) -> Callable:
        name = f"{func.__module__}.{func.__qualname__}"
        OUTBOUND[name] = OutboundPath(
            name=name, func=func, channel="", about_a_person=False, reason=reason
        )
        func.not_about_a_person = reason  # type: ignore[attr-defined]
        return func

    return decorate
