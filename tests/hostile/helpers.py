"""Helpers for the hostile-input tests: row counts, and checks that output is inert."""

import re

from django.apps import apps

from tests.hostile.corpus import is_formula


def row_counts(only: tuple[str, ...] = ()) -> dict[str, int]:
    """Return the number of rows of every Safe Haven model (or of the apps named), to prove
    nothing was half written."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("safehaven.") and (not only or model._meta.app_label in only)
    }


def changed(before: dict[str, int], after: dict[str, int], *, ignore=("audit.",)) -> dict:
    """Return the models whose row count moved (audit events of refusals are allowed)."""
    return {k: (before[k], after[k]) for k in before if before[k] != after[k] and not k.startswith(ignore)}


LIVE_MARKUP = re.compile(
    r"<script(?!\s+src=\"/static/)[\s>]|<img[^>]*onerror|<svg[^>]*onload|\sonfocus=['\"]?alert|href=['\"]?javascript:",
    re.IGNORECASE,
)


def live_markup(html: str) -> list[str]:
    """Return the pieces of html that would run: injected tags, handlers or javascript: links.

    Our own templates load scripts only from /static/, so any other <script> came from input.
    """
    return [m.group(0) for m in LIVE_MARKUP.finditer(html)]


def live_formulas(cells) -> list[str]:
    return [c for c in cells if is_formula(c)]
