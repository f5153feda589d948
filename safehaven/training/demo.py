"""Demo data for training: the curriculum, and synthetic attempts so the figures show something."""

import random

from safehaven.accounts.models import User
from safehaven.training.models import PRE, Attempt, Module

# Demo staff who have taken some training (usernames from `safehaven demo`).
DEMO_LEARNERS = ["clinician", "nurse", "advocate", "frontdesk", "trainee"]


def demo_training(stdout) -> None:
    """Load the curriculum; the first time, add synthetic pre-tests and checks for demo staff."""
    from safehaven.training.actions import load_curriculum, submit_attempt
    from safehaven.training.content import read_modules

    load_curriculum(by="safehaven demo", modules=read_modules())
    if Attempt.objects.exists():
        return
    rng = random.Random(2026)  # noqa: S311 (synthetic demo data, not security)
    learners = list(User.objects.filter(username__in=DEMO_LEARNERS).order_by("username"))
    modules = list(Module.objects.filter(active=True).prefetch_related("questions").order_by("order"))
    for user in learners:
        for module in modules[: rng.randint(3, len(modules))]:
            questions = [q for q in module.questions.all() if q.active]
            for kind, skill in ((PRE, 0.45), ("post", 0.9)):
                answers = {
                    q.key: q.correct_key if rng.random() < skill else rng.choice([o["key"] for o in q.options])
                    for q in questions
                }
                submit_attempt(by=user, module=module, kind=kind, answers=answers)
    stdout.write(f"Training: curriculum loaded and demo attempts added for {len(learners)} staff.\n")
