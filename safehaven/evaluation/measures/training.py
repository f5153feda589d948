"""Staff training completion today, from `safehaven.training.queries.completion_summary`."""

from django.utils.translation import gettext_lazy as _

from safehaven.evaluation.providers import Provider

ROWS = [
    ("staff", _("Staff whose role takes the training")),
    ("core_complete", _("… with every core module current")),
    ("core_missing", ""),  # the complement: never shown
]


def training_snapshot(*, site_ids) -> dict:
    """Return {(row, site pk or "all"): count} for each site and for all of them (4 queries each)."""
    from safehaven.evaluation.measures import ALL
    from safehaven.training.queries import completion_summary

    out = {}
    for key, ids in [(pk, [pk]) for pk in site_ids] + [(ALL, list(site_ids))]:
        summary = completion_summary(ids)
        out[("staff", key)] = summary["staff"]
        out[("core_complete", key)] = summary["core_complete"]
        out[("core_missing", key)] = summary["staff"] - summary["core_complete"]
    return out


def provider() -> Provider:
    return Provider(
        key="training", title=_("Staff training"), rows=ROWS, hidden_rows=("core_missing",),
        groups=[(["core_complete", "core_missing"], "staff")], snapshot=training_snapshot,
    )
