"""The follow-up panel on the person chart (a fixed number of queries)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.access.gate import sites_with
from safehaven.accounts.permissions import Perm
from safehaven.followup import queries
from safehaven.followup.forms import AppointmentStatusForm, EventForm


def followup_panel(request, person):
    """Return due and overdue care, upcoming visits and the contact log."""
    user = request.user
    if person.site_id not in sites_with(user, Perm.VIEW_CLINICAL):
        return None
    context = queries.person_summary(person, reminders=False)  # the reminder page shows those
    context.update(
        person=person,
        can_write=person.site_id in sites_with(user, Perm.WRITE_CLINICAL),
        can_remind=person.site_id in sites_with(user, Perm.CASE_MANAGE),
        # The event form is written out in the template (see there): its fields give the
        # labels and choices; EventForm checks what is posted.
        event_fields=EventForm.base_fields,
        label_suffix=_(":"),
        today=timezone.localdate(),
        visit_statuses=AppointmentStatusForm.base_fields["status"].choices,
    )
    return {"title": _("Follow-up care"), "template": "followup/_panel.html", "context": context, "order": 30}
