"""Template built-ins that replace Django's own where a hot page pays for them on every view.

`{% url %}` walked the URL resolver on every use: 26 times on a chart view, about 30 µs each.
Here, a `{% url %}` with positional arguments is built by `safehaven.lib.urls.row_url`
(the route reversed once with markers, then filled in; identical to reverse(), tested for
every route). Django's `URLNode` also passes the current namespace as `current_app`;
that only changes a URL when an application namespace is installed more than once, and
tests/test_templatefast.py fails if ours ever is. Keyword arguments go to Django's
node unchanged. Loaded as a built-in (settings.TEMPLATES), so every template gets it.

`Templates` is Django's template backend with two libraries replaced by name, so that
`{% load i18n %}` and `{% load static %}` keep working unchanged in every template:
`templatefast_i18n` (a constant `{% translate %}` translated once per language) and
`templatefast_static` (each `{% static %}` URL looked up once). Django warns when two
modules share a library name (templates.W003); the backend still warns for any other
clash, and only for those two names accepts ours in place of Django's.
"""

from django import template
from django.template.backends.django import DjangoTemplates
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from safehaven.lib.urls import row_url

register = template.Library()


class KeptURLNode(URLNode):
    """{% url %} with the route's URL built once per process (see the module docstring)."""

    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        url = ""
        try:
            url = row_url(self.view_name.resolve(context), *args)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Parse {% url %} exactly as Django does; render it with KeptURLNode."""
    node = django_url(parser, token)
    node.__class__ = KeptURLNode
    return node


REPLACED = {
    "i18n": ("django.templatetags.i18n", "safehaven.lib.templatefast_i18n"),
    "static": ("django.templatetags.static", "safehaven.lib.templatefast_static"),
}


class Templates(DjangoTemplates):
    """Django's template backend with the `i18n` and `static` libraries replaced (see above)."""

    def __init__(self, params):
        params = {**params, "OPTIONS": {**params.get("OPTIONS", {})}}
        params["OPTIONS"]["libraries"] = {
            **{name: ours for name, (_django, ours) in REPLACED.items()},
            **params["OPTIONS"].get("libraries", {}),
        }
        super().__init__(params)

    def _check_for_template_tags_with_the_same_name(self):
        deliberate = {f"{name!r} is used for multiple template tag modules: {django!r}, {ours!r}"
                      for name, (django, ours) in REPLACED.items()}
        return [w for w in super()._check_for_template_tags_with_the_same_name() if w.msg not in deliberate]
