"""The curriculum is data in our own files, complete in English and translated where it matters."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from safehaven.training.actions import load_curriculum
from safehaven.training.content import ContentError, read_modules, validate_module
from safehaven.training.models import Module, Question

pytestmark = pytest.mark.django_db

TOPICS = [
    "noticing-cues", "trauma-informed-approach", "asking-privately", "consent-first-exam",
    "responding-to-disclosure", "harm-reduction-planning", "safe-documentation", "referrals-partners",
    "mandatory-reporting-minors", "secondary-trauma-self-care",
]


def test_the_curriculum_covers_every_topic_of_the_issue_in_order():
    assert [m["code"] for m in read_modules()] == TOPICS


def test_every_module_has_readings_vignettes_and_a_check_translated_into_spanish_and_french():
    for m in read_modules():
        assert m["readings"] and m["vignettes"] and len(m["questions"]) >= 3
        for lang in ("es", "fr"):
            assert m["title"][lang].strip()
            for q in m["questions"]:
                assert q["prompt"][lang].strip()
                assert all(o["text"][lang].strip() for o in q["options"])


def test_the_trauma_module_teaches_the_four_rs_and_six_principles():
    tic = next(m for m in read_modules() if m["code"] == "trauma-informed-approach")
    text = " ".join(r["body"]["en"] for r in tic["readings"]).lower()
    for word in ("realize", "recognize", "respond", "resist re-traumatization", "safety",
                 "trustworthiness and transparency", "peer support", "collaboration and mutuality",
                 "empowerment, voice and choice", "cultural, historical and gender"):
        assert word in text


def test_a_question_with_two_right_answers_is_refused():
    module = copy.deepcopy(read_modules()[0])
    for option in module["questions"][0]["options"]:
        option["correct"] = True
    with pytest.raises(ContentError, match="exactly one option"):
        validate_module(module)


def test_a_module_without_spanish_title_is_refused():
    module = copy.deepcopy(read_modules()[0])
    del module["title"]["es"]
    with pytest.raises(ContentError, match="missing es"):
        validate_module(module)


def test_loading_twice_changes_nothing_and_retires_removed_questions():
    modules = read_modules()
    load_curriculum(by="test", modules=modules)
    first = Question.objects.count()
    load_curriculum(by="test", modules=modules)
    assert Module.objects.count() == 10 and Question.objects.count() == first
    trimmed = copy.deepcopy(modules)
    dropped = trimmed[0]["questions"].pop()
    load_curriculum(by="test", modules=trimmed)
    assert not Question.objects.get(module__code=trimmed[0]["code"], key=dropped["key"]).active


def test_the_load_command_loads_the_shipped_curriculum(capsys):
    call_command("training", "load")
    assert Module.objects.filter(active=True).count() == 10
    assert "10 new module(s)" in capsys.readouterr().out


def test_the_load_command_refuses_a_broken_file_and_writes_nothing(tmp_path):
    bad = read_modules()[0]
    bad["questions"][0]["options"][0]["correct"] = not bad["questions"][0]["options"][0]["correct"]
    bad["questions"][0]["options"][1]["correct"] = True
    bad["questions"][0]["options"][2]["correct"] = True
    (tmp_path / "01.json").write_text(json.dumps(bad))
    with pytest.raises(CommandError, match="not valid"):
        call_command("training", "load", "--from", str(tmp_path))
    (tmp_path / "01.json").write_text("{not json")
    with pytest.raises(CommandError, match="not valid"):
        call_command("training", "load", "--from", str(tmp_path))
    with pytest.raises(CommandError, match="no such folder"):
        call_command("training", "load", "--from", str(tmp_path / "missing"))
    assert Module.objects.count() == 0


def test_the_demo_hook_is_idempotent(cast):
    import io

    from safehaven.training.demo import demo_training

    demo_training(io.StringIO())
    demo_training(io.StringIO())
    assert Module.objects.count() == 10


def test_the_demo_hook_gives_demo_staff_some_training_once(cast):
    import io

    from safehaven.testing.factories import make_staff
    from safehaven.training.demo import demo_training
    from safehaven.training.models import Attempt

    make_staff("nurse", cast.site_a, "nurse")
    make_staff("trainee", cast.site_a, "trainee")
    demo_training(io.StringIO())
    count = Attempt.objects.count()
    assert count > 0 and set(Attempt.objects.values_list("user__username", flat=True)) == {"nurse", "trainee"}
    demo_training(io.StringIO())
    assert Attempt.objects.count() == count
