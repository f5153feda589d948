"""The referrals panel on the person chart."""

from django.utils.translation import gettext as _

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.referrals import queries


def referrals_panel(request, person):
    """Return the panel of this person's referrals, for staff who manage cases (one query)."""
    if person.site_id not in sites_with(request.user, Perm.CASE_MANAGE):
        return None
    return {
        "title": _("Referrals"),
        "template": "referrals/_panel.html",
        "context": {"referrals": queries.for_person(person), "person_id": person.public_id},
        "order": 60,
    }
