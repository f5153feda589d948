from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "safehaven.evaluation"
    label = "evaluation"

    def ready(self):
        from safehaven.accounts.permissions import Perm
        from safehaven.core.nav import register_nav
        from safehaven.evaluation.measures import builtin

        register_nav(_("Evaluation"), "evaluation:dashboard", Perm.VIEW_AGGREGATE, order=80)
        register_nav(_("Research extract"), "evaluation:research", Perm.EXPORT_DATA, order=81)
        builtin.register_all()
