"""The chart panel: needs summary, active goals and the urgent-pathway alert."""

from django.utils.translation import gettext_lazy as _

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.careplans import queries


def needs_panel(request, person):
    """Return the panel for people who may read needs and plans at the person's site."""
    user = request.user
    can_manage = person.site_id in sites_with(user, Perm.CASE_MANAGE)
    if not can_manage and person.site_id not in sites_with(user, Perm.VIEW_CLINICAL):
        return None
    context = queries.panel(person)
    context.update(person=person, can_manage=can_manage)
    return {"title": _("Needs and plan"), "template": "careplans/panel.html", "context": context, "order": 20}
