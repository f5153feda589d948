from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "safehaven.screening"
    label = "screening"

    def ready(self):
        from safehaven.accounts.permissions import Perm
        from safehaven.core.demo_hooks import register_demo_hook
        from safehaven.core.nav import register_nav
        from safehaven.people.chart import register_panel
        from safehaven.screening import panels

        register_nav(_("Instruments"), "screening:instruments", Perm.MANAGE_CLINIC, order=60)
        register_panel(panels.screening_panel)
        register_demo_hook(load_shipped_instruments)


def load_shipped_instruments(stdout) -> None:
    """Demo hook: import the shipped instruments (idempotent: same url and version replace)."""
    from safehaven.screening import actions

    imported = actions.import_instruments(by="demo", files=actions.shipped_instrument_files())
    stdout.write(f"screening: {len(imported)} instruments ready")
