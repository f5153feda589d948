"""Printable documents (WeasyPrint), rendered in the person's language."""

from django.template.loader import render_to_string
from django.utils import translation

from safehaven.core import pdf as core_pdf

PRINT_LANGUAGES = {"en", "es", "fr"}


def print_language(requested: str, fallback: str) -> str:
    """Return the language to print in: the one asked for, else the person's, else English."""
    for code in (requested, fallback):
        if code in PRINT_LANGUAGES:
            return code
    return "en"


def render_pdf(template: str, context: dict, *, language: str) -> bytes:
    """Return the template rendered as a PDF in `language` (no network, no external files)."""
    with translation.override(language):
        html = render_to_string(template, {**context, "LANG": language})
    return core_pdf.render_pdf(html)
