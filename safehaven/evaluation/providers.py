"""How other capabilities add measures to the evaluation without this app knowing their models.

A provider is registered with `register_provider(Provider(...))`, from the capability's
`apps.py` `ready()` or from `safehaven/evaluation/measures/<app>.py` (which this app
registers itself, importing the capability lazily). A provider gives one or more of:

- `events(site_ids=, start=, end=)` -> iterable of (row, person pk, site pk, datetime):
  a person counts in a row at a time and site; the evaluation counts distinct people
  per site and quarter and protects the result with the rest of the cube. `groups`
  says which rows add up to a total (`[(["done", "late"], "due")]`), so that a small
  part can never be found by subtraction. A row listed in `hidden_rows` is never shown
  (e.g. "late" when only "on time" and "due" are published).
- `values(site_ids=, start=, end=)` -> iterable of (row, person pk, site pk, datetime, number)
  for the statistics in `stat_rows` [(row, label, "median" | "mean")]: the statistic of a
  site and quarter is computed from the numbers of that cell, shown with its own n (the
  people it comes from), and hidden when fewer than 11 people are behind it or when its
  n is suppressed to protect another cell.
- `ratio_rows` [(row, label, numerator row, denominator row)]: a percentage computed from two
  count rows, shown only when both counts are shown (it adds nothing they do not reveal).
- `snapshot(site_ids=)` -> {(row, site pk or ALL): count}: a figure about today rather than
  a period (training completion); shown in a "today" column, protected the same way.

Measures that are not registered are listed on the page as waiting.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

STATISTICS = ("median", "mean")


@dataclass
class Provider:
    key: str
    title: object
    rows: list[tuple[str, object]] = field(default_factory=list)
    events: Callable[..., Iterable[tuple]] | None = None
    groups: list[tuple[list[str], str]] = field(default_factory=list)
    waiting: object = ""
    hidden_rows: tuple[str, ...] = ()
    stat_rows: list[tuple[str, object, str]] = field(default_factory=list)
    values: Callable[..., Iterable[tuple]] | None = None
    ratio_rows: list[tuple[str, object, str, str]] = field(default_factory=list)
    snapshot: Callable[..., dict] | None = None

    def __post_init__(self):
        for _row, _label, statistic in self.stat_rows:
            if statistic not in STATISTICS:
                raise ValueError(f"unknown statistic {statistic!r}: use one of {STATISTICS}")

    @property
    def available(self) -> bool:
        return self.events is not None or self.values is not None or self.snapshot is not None

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
