from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "safehaven.careplans"
    label = "careplans"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from safehaven.accounts.permissions import Perm
        from safehaven.careplans import demo, panels
        from safehaven.core.demo_hooks import DEMO_HOOKS, register_demo_hook
        from safehaven.core.nav import register_nav
        from safehaven.people.chart import CHART_PANELS, register_panel

        register_nav(_("Caseload"), "careplans:caseload", Perm.CASE_MANAGE, order=20)
        if panels.needs_panel not in CHART_PANELS:
            register_panel(panels.needs_panel)
        if demo.demo_hook not in DEMO_HOOKS:
            register_demo_hook(demo.demo_hook)
