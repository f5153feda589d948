"""Panels other capabilities add to the person chart.

A panel is a function panel(request, person) -> dict | None returning
{"title": ..., "template": ..., "context": {...}, "order": int}; it must run a fixed
number of queries whatever the size of the record.

When the chart calls the panels, `person.chart_encounters` holds the person's newest
encounters (up to people.queries.CHART_ENCOUNTERS, newest first by started_at then id), already read; a panel that
needs only the latest few takes them from there instead of asking the database again.
"""

from collections.abc import Callable

CHART_PANELS: list[Callable] = []


def register_panel(func: Callable) -> Callable:
    """Add a panel to the chart (use as a decorator)."""
    CHART_PANELS.append(func)
    return func


def render_panels(request, person) -> list[dict]:
    """Return the panels that apply to this person for this user, in order."""
    panels = []
    for func in CHART_PANELS:
        panel = func(request, person)
        if panel:
            panels.append(panel)
    return sorted(panels, key=lambda p: p.get("order", 100))


# Links other capabilities add to the encounter page: func(request, encounter) -> {"label", "url"} | None.
ENCOUNTER_LINKS: list[Callable] = []


def register_encounter_link(func: Callable) -> Callable:
    """Add a link to the encounter page (use as a decorator)."""
    ENCOUNTER_LINKS.append(func)
    return func


def encounter_links(request, encounter) -> list[dict]:
    """Return the links that apply to this encounter for this user."""
    return [link for func in ENCOUNTER_LINKS if (link := func(request, encounter))]
