"""Register the measures of the finished capabilities, from this app, importing them lazily.

Each module here reads one capability through its own query functions (or, where those
give only totals that cannot be protected per person, its rows as distinct people) and
registers a provider. A capability that is not installed simply stays "waiting".
"""

from django.apps import apps

from safehaven.evaluation.providers import PROVIDERS, register_provider

MODULES = {
    "safehaven.screening": ("screening", "outcomes"),
    "safehaven.followup": ("followup",),
    "safehaven.training": ("training",),
    "safehaven.referrals": ("referrals",),
}


def register_all() -> None:
    """Register every measure whose capability is installed (and not registered by itself)."""
    from importlib import import_module

    for app, names in MODULES.items():
        if not apps.is_installed(app):
            continue
        for name in names:
            module = import_module(f"safehaven.evaluation.measures.{name}")
            provider = module.provider()
            if provider.key not in PROVIDERS:
                register_provider(provider)
