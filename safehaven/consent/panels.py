"""The consent panel on the person chart: what they declined lately, and their consents."""

from django.utils.translation import gettext_lazy as _

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.consent import queries


def consent_panel(request, person) -> dict | None:
    """Return the panel: recent declines (clinical staff) and consents in force (consent staff).

    At most five queries whatever the size of the record (three on the chart, which has
    read the newest encounters already).
    """
    user = request.user
    clinical = person.site_id in sites_with(user, Perm.VIEW_CLINICAL)
    manage = person.site_id in sites_with(user, Perm.MANAGE_CONSENT)
    if not (clinical or manage):
        return None
    context: dict = {"person": person, "clinical": clinical, "manage": manage}
    if clinical:
        context["declines"] = queries.recent_declines(person)
        context["recent_encounters"] = queries.latest_encounters(person)
    if manage:
        context["in_force"] = queries.in_force(person)
        context["reports"] = queries.reports_for(person)
    return {"title": _("Consent"), "template": "consent/_panel.html", "context": context, "order": 20}
