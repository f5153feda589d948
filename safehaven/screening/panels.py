"""The chart panel: cues to notice, history patterns, and what to offer. Never a label."""

from django.utils.translation import gettext_lazy as _

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.screening import queries

PATTERNS = {
    "repeated_visits": _("Several visits in the last 90 days"),
    "repeated_sti": _("Repeated visits for STI symptoms or treatment"),
    "repeated_injury": _("Repeated visits for injuries"),
}


def screening_panel(request, person):
    """Return the identification panel for staff who may screen at the person's site."""
    if person.site_id not in sites_with(request.user, Perm.SCREEN):
        return None
    summary = queries.person_summary(person)
    patterns = [PATTERNS[p] for p in queries.history_patterns(person)]
    return {
        "title": _("Noticing and asking"),
        "template": "screening/_panel.html",
        "order": 20,
        "context": {
            "person": person,
            "patterns": patterns,
            **summary,
        },
    }
