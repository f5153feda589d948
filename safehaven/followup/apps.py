from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "safehaven.followup"
    label = "followup"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from safehaven.accounts.permissions import Perm
        from safehaven.core.demo_hooks import DEMO_HOOKS, register_demo_hook
        from safehaven.core.nav import NAV_ITEMS, register_nav
        from safehaven.followup.demo import demo_hook
        from safehaven.followup.panels import followup_panel
        from safehaven.people.chart import CHART_PANELS, register_panel

        if followup_panel not in CHART_PANELS:
            register_panel(followup_panel)
        if demo_hook not in DEMO_HOOKS:
            register_demo_hook(demo_hook)
        if not any(item.url_name.startswith("followup:") for item in NAV_ITEMS):
            register_nav(_("Follow-up due"), "followup:worklist", Perm.VIEW_CLINICAL, order=30)
            register_nav(_("My day"), "followup:day", Perm.WRITE_CLINICAL, order=31)
            register_nav(_("Outreach"), "followup:outreach", Perm.CASE_MANAGE, order=32)
            register_nav(_("Follow-up protocols"), "followup:protocols", Perm.MANAGE_CLINIC, order=60)
            register_nav(_("Reminder wording"), "followup:templates", Perm.MANAGE_CLINIC, order=61)
            register_nav(_("Retention"), "followup:outcomes", Perm.VIEW_AGGREGATE, order=62)
