from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "safehaven.consent"
    label = "consent"

    def ready(self) -> None:
        from safehaven.accounts.permissions import Perm
        from safehaven.consent import demo, views  # noqa: F401  (views register outbound paths)
        from safehaven.consent.panels import consent_panel
        from safehaven.core.demo_hooks import register_demo_hook
        from safehaven.core.nav import register_nav
        from safehaven.people.chart import register_encounter_link, register_panel

        register_panel(consent_panel)
        register_encounter_link(_asking_first_link)
        register_nav(_("Consents to renew"), "consent:expiring", Perm.MANAGE_CONSENT, order=40)
        register_demo_hook(demo.demo_consents)


def _asking_first_link(request, encounter):
    """Link the encounter page to the step-by-step exam consent screen."""
    from django.urls import reverse

    from safehaven.access.gate import sites_with
    from safehaven.accounts.permissions import Perm

    if encounter.person.site_id not in sites_with(request.user, Perm.WRITE_CLINICAL):
        return None
    return {"label": _("Asking first: consent for each step of the exam"),
            "url": reverse("consent:encounter_steps", args=[encounter.public_id])}
