import pytest

from safehaven.training.actions import load_curriculum
from safehaven.training.content import read_modules
from safehaven.training.models import Module


@pytest.fixture
def curriculum(db):
    """The shipped curriculum, loaded; returns the modules in order."""
    load_curriculum(by="test", modules=read_modules())
    return list(Module.objects.order_by("order"))


def right_answers(module) -> dict[str, str]:
    return {q.key: q.correct_key for q in module.questions.filter(active=True)}


def wrong_answers(module) -> dict[str, str]:
    out = {}
    for q in module.questions.filter(active=True):
        out[q.key] = next(o["key"] for o in q.options if not o["correct"])
    return out


def complete(user, module):
    from safehaven.training.actions import submit_attempt

    return submit_attempt(by=user, module=module, kind="post", answers=right_answers(module))


def complete_core(user):
    for module in Module.objects.filter(core=True, active=True):
        complete(user, module)
