"""Follow-up done on time: people whose due care was done by its overdue date.

Each due item is judged by the follow-up capability's own rule
(`safehaven.followup.outcomes.on_time`); an item counts in the quarter of its overdue date.
One query.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.evaluation.providers import Provider

ROWS = [
    ("due", _("People with follow-up care due")),
    ("on_time", _("… care done on time")),
    ("late", ""),  # late or still open past its date: never shown, protects the complement
]


def followup_events(*, site_ids, start, end):
    """Yield (row, person pk, site pk, overdue date) for care that fell due in the period."""
    from safehaven.followup.models import DueItem
    from safehaven.followup.outcomes import on_time

    today = timezone.localdate()
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date() - datetime.timedelta(days=1)
    items = DueItem.objects.filter(
        site_id__in=site_ids, overdue_on__gte=first, overdue_on__lte=last
    ).exclude(status="cancelled").values_list("person_id", "site_id", "status", "overdue_on", "completed_on")
    for person_id, site_id, status, overdue_on, completed_on in items:
        rate = on_time([(status, overdue_on, completed_on)], as_of=today)
        if rate.denominator == 0:
            continue  # not due yet
        yield ("due", person_id, site_id, overdue_on)
        yield ("on_time" if rate.numerator else "late", person_id, site_id, overdue_on)


def provider() -> Provider:
    return Provider(
        key="followup", title=_("Follow-up on time"), rows=ROWS, hidden_rows=("late",),
        groups=[(["on_time", "late"], "due")], events=followup_events,
    )
