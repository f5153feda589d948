"""Template tags of the screening pages."""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.safestring import mark_safe

from safehaven.lib.render import esc
from safehaven.screening.models import CUES, CueObservation

register = template.Library()

# The chart's "Record what you noticed" boxes are the same for every person: the cues and
# the offers, labelled in the page's language. Written with a template loop they cost about
# 0.2 ms of every chart view; here they are written once per language (the same HTML:
# tests/screening/test_cue_boxes.py compares them with the loop they replace). Django's
# widget templates cost ~4 ms for these few boxes, so they were never used here; CueForm
# checks what is posted.
_BOX = ('<div class="field checkbox-row"><input type="{kind}" name="{name}" value="{value}" id="{prefix}{value}"> '
        '<label for="{prefix}{value}">{label}</label></div>')
_KEPT: dict[tuple[str | None, str], str] = {}


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _KEPT.clear()


def _boxes(which: str) -> str:
    if which == "cues":
        choices, kind, name, prefix = CUES, "checkbox", "cues", "cue-"
    else:
        choices, kind, name, prefix = CueObservation.OFFERS, "radio", "offered", "cue-offered-"
    return "".join(_BOX.format(kind=kind, name=name, prefix=prefix, value=esc(value), label=esc(label))
                   for value, label in choices)


@register.simple_tag
def cue_boxes(which: str) -> str:
    """{% cue_boxes "cues" %} or {% cue_boxes "offers" %}: the boxes of the cue form."""
    if which not in ("cues", "offers"):
        raise template.TemplateSyntaxError(f"cue_boxes takes \"cues\" or \"offers\", not {which!r}")
    key = (translation.get_language(), which)
    html = _KEPT.get(key)
    if html is None:
        html = _KEPT[key] = _boxes(which)
    return mark_safe(html)  # noqa: S308 - values and labels are escaped above
