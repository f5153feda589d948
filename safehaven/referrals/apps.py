from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "safehaven.referrals"
    label = "referrals"

    def ready(self):
        from safehaven.accounts.permissions import Perm
        from safehaven.core.demo_hooks import register_demo_hook
        from safehaven.core.nav import register_nav
        from safehaven.people.chart import register_panel
        from safehaven.referrals import demo, panels

        register_nav(_("Referrals"), "referrals:worklist", Perm.CASE_MANAGE, order=40)
        register_nav(_("Referrals to us"), "partner:list", Perm.PARTNER_REFERRALS, order=41)
        register_panel(panels.referrals_panel)
        register_demo_hook(demo.demo_referrals)
        try:
            from safehaven.evaluation.providers import Provider, register_provider
        except ImportError:  # the evaluation capability is optional
            return
        from safehaven.referrals.evaluation import ROWS, referral_events

        register_provider(Provider(
            key="referrals", title=_("Referrals and closed loops"), rows=ROWS,
            groups=[(["closed_loop"], "referred")], events=referral_events,
        ))
