"""The chart's cue boxes ({% cue_boxes %}) are the template loop they replace, in every language."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from safehaven.screening.models import CUES, CueObservation

LOOP = {
    "cues": '{% for value, label in choices %}<div class="field checkbox-row"><input type="checkbox" name="cues" '
            'value="{{ value }}" id="cue-{{ value }}"> <label for="cue-{{ value }}">{{ label }}</label></div>{% endfor %}',
    "offers": '{% for value, label in choices %}<div class="field checkbox-row"><input type="radio" name="offered" '
              'value="{{ value }}" id="cue-offered-{{ value }}"> <label for="cue-offered-{{ value }}">{{ label }}</label>'
              '</div>{% endfor %}',
}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_cue_boxes_are_the_loop_they_replace(language):
    choices = {"cues": CUES, "offers": CueObservation.OFFERS}
    with translation.override(language):
        for which, loop in LOOP.items():
            expected = Template(loop).render(Context({"choices": choices[which]}))
            for _ in range(2):  # the second comes from what was kept for this language
                got = Template(f'{{% load screening_tags %}}{{% cue_boxes "{which}" %}}').render(Context({}))
                assert got == expected, (language, which)
            assert got.count("<input") == len(choices[which])


def test_cue_boxes_follow_the_language_and_refuse_other_names():
    boxes = Template('{% load screening_tags %}{% cue_boxes "cues" %}')
    seen = set()
    for language in ("en", "es", "fr"):
        with translation.override(language):
            seen.add(boxes.render(Context({})))
    assert len(seen) == 3
    with pytest.raises(TemplateSyntaxError):
        Template('{% load screening_tags %}{% cue_boxes "everything" %}').render(Context({}))
