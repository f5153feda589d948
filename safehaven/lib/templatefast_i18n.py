"""`{% load i18n %}` with a `{% translate %}` that translates a constant text once per language.

Every page's text goes through `{% translate "..." %}`: 65 times on a chart view. Django's
node resolves its literal again on every render (a `Variable`, `gettext` through the
active translation, `render_value_in_context`, the `%%` restored), about 10 µs each.
For a constant text (a literal with no filters, no `context`, no `noop`, no `as`:
every one in our templates) the result depends only on the active language, its
catalogue and whether autoescaping is on, so it is kept per (language, text, autoescape)
and forgotten when a setting or a translation file changes. Anything else goes to
Django's node unchanged.

Installed as the `i18n` library by the template backend `safehaven.lib.templatefast.Templates`,
so `{% load i18n %}` gets Django's tags and filters with this one `translate` (and its old
name `trans`).
tests/test_templatefast.py compares it with Django's own tag in three languages.
"""

from pathlib import Path

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags import i18n as django_i18n
from django.utils import autoreload, translation

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

_KEPT: dict[tuple[str | None, str, bool], str] = {}


@receiver(setting_changed)
def _forget_on_setting(**kwargs) -> None:
    _KEPT.clear()


@receiver(autoreload.file_changed)
def _forget_on_catalogue(file_path, **kwargs) -> None:
    # The development server reloads changed catalogues without restarting (Django's own
    # translation_file_changed); keep nothing translated from the old one.
    if Path(file_path).suffix == ".mo":
        _KEPT.clear()


class KeptTranslateNode(django_i18n.TranslateNode):
    """{% translate "constant" %} translated once per language (see the module docstring)."""

    def constant(self) -> str | None:
        fe = self.filter_expression
        var = fe.var
        if (fe.filters or self.noop or self.asvar or self.message_context
                or not isinstance(var, template.Variable) or var.literal is None or not isinstance(var.literal, str)):
            return None
        return var.literal

    def render(self, context):
        text = self.constant()
        if text is None:
            return super().render(context)
        key = (translation.get_language(), text, context.autoescape)
        value = _KEPT.get(key)
        if value is None:
            value = _KEPT[key] = super().render(context)
        return value


def _kept(parser, token):
    node = django_i18n.do_translate(parser, token)
    if type(node) is django_i18n.TranslateNode:
        node.__class__ = KeptTranslateNode
    return node


register.tag("translate", _kept)
register.tag("trans", _kept)
