"""Screens offered, completed, declined and positive, and disclosures: people, not forms.

`safehaven.screening.queries.screen_counts` gives totals of screens per instrument; the
evaluation protects counts of *people* (a person screened three times must not make a
cell of 11), so it reads the same rows as distinct people per site and quarter. One query
for responses, one for disclosures.
"""

from django.utils.translation import gettext_lazy as _

from safehaven.evaluation.providers import Provider

ROWS = [
    ("offered", _("People offered a screen")),
    ("completed", _("… completed one")),
    ("declined", _("… said no to one")),
    ("not_completed", ""),  # declined, deferred or still open: never shown, protects the complement
    ("positive", _("People with a positive screen")),
    ("disclosed", _("People who shared something with us (disclosures)")),
]


def screening_events(*, site_ids, start, end):
    """Yield (row, person pk, site pk, when) for screens and disclosures in the period."""
    from safehaven.screening.models import ResponseTask, ScreeningResponse

    responses = (
        ScreeningResponse.objects.filter(person__site_id__in=site_ids, authored_at__gte=start, authored_at__lt=end)
        .exclude(status="entered-in-error")
        .values_list("person_id", "person__site_id", "authored_at", "outcome", "positive")
    )
    for person_id, site_id, when, outcome, positive in responses:
        yield ("offered", person_id, site_id, when)
        if positive:
            # A screen can be positive before it is complete (e.g. two "yes" answers on the
            # youth screen with the rest skipped); an incomplete screen is never negative.
            yield ("positive", person_id, site_id, when)
        if outcome == "completed":
            yield ("completed", person_id, site_id, when)
        else:
            yield ("not_completed", person_id, site_id, when)
            if outcome == "declined":
                yield ("declined", person_id, site_id, when)
    disclosures = ResponseTask.objects.filter(
        reason="disclosure", person__site_id__in=site_ids, created_at__gte=start, created_at__lt=end
    ).values_list("person_id", "person__site_id", "created_at")
    for person_id, site_id, when in disclosures:
        yield ("disclosed", person_id, site_id, when)


def provider() -> Provider:
    return Provider(
        key="screening", title=_("Screening"), rows=ROWS, hidden_rows=("not_completed",),
        groups=[(["completed", "not_completed"], "offered")], events=screening_events,
    )
