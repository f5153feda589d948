"""Needs-assessment domains and how directory taxonomy terms map onto them.

A service meets a need domain when one of its taxonomy terms has a code starting with one of
the domain's code prefixes (211 LA County taxonomy, verify the prefixes against the licensed
taxonomy before relying on them) or a name with a word starting with one of its keywords (Open Eligibility and
home-grown taxonomies). A service without taxonomy terms is matched on its own name and
description instead. ``actions.reindex_service`` stores the result in ``ServiceNeedDomain``.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NeedDomain:
    code: str
    label: object
    term_prefixes: tuple[str, ...]
    keywords: tuple[str, ...]


NEED_DOMAINS: tuple[NeedDomain, ...] = (
    NeedDomain("safety", _("Safety and crisis"), ("RP-1500", "FN-1500"),
               ("crisis", "hotline", "safety planning", "emergency shelter", "domestic violence")),
    NeedDomain("housing", _("Housing and shelter"), ("BH",),
               ("housing", "shelter", "rent", "transitional living")),
    NeedDomain("food", _("Food"), ("BD",), ("food", "meal", "pantry", "groceries", "nutrition")),
    NeedDomain("clothing", _("Clothing and personal goods"), ("BM-6500",),
               ("clothing", "clothes", "hygiene")),
    NeedDomain("medical", _("Medical care"), ("LN", "LT", "LV"),
               ("medical", "clinic", "dental", "primary care", "health care")),
    NeedDomain("mental_health", _("Mental health"), ("RP", "RM", "RR"),
               ("mental health", "counselling", "counseling", "therapy", "psycholog")),
    NeedDomain("substance_use", _("Substance use"), ("RX",),
               ("substance", "addiction", "alcohol", "drug", "recovery", "harm reduction")),
    NeedDomain("legal", _("Legal help"), ("FT", "FP"),
               ("legal", "lawyer", "attorney", "court", "victim rights")),
    NeedDomain("immigration", _("Immigration"), ("FT-3000", "FT-3900"),
               ("immigration", "immigrant", "visa", "asylum", "refugee")),
    NeedDomain("education", _("Education"), ("H",), ("education", "school", "literacy", "ged", "esl")),
    NeedDomain("employment", _("Work and employment"), ("ND",),
               ("employment", "job", "vocational", "career")),
    NeedDomain("income", _("Money and benefits"), ("NL", "NS", "NT"),
               ("benefits", "financial", "cash assistance", "income")),
    NeedDomain("transportation", _("Transport"), ("BT",), ("transport", "bus pass", "ride")),
    NeedDomain("childcare", _("Children and childcare"), ("PH-1250",),
               ("childcare", "child care", "parenting")),
    NeedDomain("family", _("Family"), ("PH",), ("family reunification", "family support")),
    NeedDomain("documents", _("Identity documents"), ("DF-7000",),
               ("identification", "id card", "birth certificate")),
)

_KEYWORD_RES = {
    d.code: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in d.keywords) + ")", re.IGNORECASE)
    for d in NEED_DOMAINS
}

DOMAIN_CHOICES = [("", _("Any need"))] + [(d.code, d.label) for d in NEED_DOMAINS]
DOMAIN_CODES = frozenset(d.code for d in NEED_DOMAINS)


def domains_for_terms(terms: list[tuple[str, str]]) -> set[str]:
    """Return the need domains that these (code, name) taxonomy terms meet."""
    found: set[str] = set()
    for code, name in terms:
        code_u = (code or "").upper()
        for domain in NEED_DOMAINS:
            if any(code_u.startswith(p) for p in domain.term_prefixes) or _KEYWORD_RES[
                domain.code
            ].search(name or ""):
                found.add(domain.code)
    return found


def domains_for_text(text: str) -> set[str]:
    """Return the need domains whose keywords appear in free text (a fallback)."""
    return {d.code for d in NEED_DOMAINS if _KEYWORD_RES[d.code].search(text or "")}
