from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "safehaven.directory"
    label = "directory"

    def ready(self):
        from safehaven.accounts.permissions import Perm
        from safehaven.api.openapi import add_paths
        from safehaven.core.demo_hooks import register_demo_hook
        from safehaven.core.nav import register_nav
        from safehaven.directory.demo import load_demo_directory
        from safehaven.directory.openapi import PATHS, SCHEMAS

        register_nav(_("Resources"), "directory:search", Perm.VIEW_PERSON, order=60)
        register_demo_hook(load_demo_directory)
        add_paths(PATHS, SCHEMAS)
