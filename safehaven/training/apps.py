from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "safehaven.training"
    label = "training"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from safehaven.access.gate import GATE_CHECKS
        from safehaven.accounts.permissions import Perm
        from safehaven.core.demo_hooks import DEMO_HOOKS, register_demo_hook
        from safehaven.core.nav import register_nav
        from safehaven.training.demo import demo_training
        from safehaven.training.gate import training_gate

        register_nav(_("Training"), "training:home", Perm.TRAINING, order=80)
        if training_gate not in GATE_CHECKS:
            GATE_CHECKS.append(training_gate)
        if demo_training not in DEMO_HOOKS:
            register_demo_hook(demo_training)
