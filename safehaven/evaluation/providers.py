"""How other capabilities add measures to the evaluation without this app knowing their models.

A capability registers, from its `apps.py` `ready()`:

    from safehaven.evaluation.providers import Provider, register_provider
    register_provider(Provider(
        key="screening", title=_("Screening"),
        rows=[("offered", _("Offered a screen")), ("completed", _("Completed")), ...],
        groups=[(["completed", "declined"], "offered")],   # parts add up to a total
        events=my_events,   # (site_ids, start, end) -> iterable of (row, person pk, site pk, datetime)
    ))

Each event says that a person counts in a row at a time and site; the evaluation counts
distinct people per site and quarter and protects the result with the rest of the cube.
Measures that are not registered yet are listed on the page as waiting.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass
class Provider:
    key: str
    title: object
    rows: list[tuple[str, object]]
    events: Callable[..., Iterable[tuple]] | None = None
    groups: list[tuple[list[str], str]] = field(default_factory=list)
    waiting: object = ""

    def figures(self, *, site_ids, start, end):
        if self.events is None:
            return None
        return self.events(site_ids=site_ids, start=start, end=end)


PROVIDERS: dict[str, Provider] = {}

# The measures the issue asks for that other capabilities hold; shown as waiting until registered.
EXPECTED = [
    ("screening", _("Screens offered, completed, declined and positive; disclosures"), _("the screening capability")),
    ("referrals", _("Referrals by need, share closed-loop and time to close"), _("the referrals capability")),
    ("followup", _("Follow-up done on time"), _("the follow-up capability")),
    ("outcomes", _("Change in PHQ-9, GAD-7 and PC-PTSD-5 after two months (paired)"), _("the screening capability")),
    ("training", _("Staff training completion"), _("the training capability")),
]


def register_provider(provider: Provider) -> Provider:
    PROVIDERS[provider.key] = provider
    return provider


def all_providers() -> list[Provider]:
    """Return registered providers, then a waiting placeholder for each expected one missing."""
    out = list(PROVIDERS.values())
    for key, title, source in EXPECTED:
        if key not in PROVIDERS:
            out.append(Provider(key=key, title=title, rows=[],
                                waiting=_("Not available yet: waiting for figures from %(source)s.") % {"source": source}))
    return out
