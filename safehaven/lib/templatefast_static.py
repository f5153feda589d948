"""`{% load static %}` with a `{% static %}` that looks each file's URL up once per process.

Every page names its style sheet and script with `{% static %}`; in production each use
asks the manifest storage again (name cleaning, the manifest lookup, URL joining and
quoting: about 50 µs). The URL of a path only changes when the static files are collected
again, which means a new deployment and new processes (the manifest is read when the
storage starts), so the URL of each path written in a template is kept, and forgotten when
a setting changes. A path the storage refuses (missing from the manifest) raises each
time, as in Django.

Installed as the `static` library by the template backend `safehaven.lib.templatefast.Templates`:
Django's tags and filters with this one `static`. tests/test_templatefast.py compares it with Django's tag.
"""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags import static as django_static

register = template.Library()
register.tags.update(django_static.register.tags)
register.filters.update(django_static.register.filters)

_KEPT: dict[str, str] = {}


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _KEPT.clear()


class KeptStaticNode(django_static.StaticNode):
    """{% static %} with each path's URL kept (see the module docstring)."""

    def url(self, context):
        path = self.path.resolve(context)
        if self.path.is_var or self.path.filters or not isinstance(path, str):
            # Only a path written in the template is kept: one from a variable could be
            # anything a request brings, and the dict would grow with it.
            return self.handle_simple(path)
        url = _KEPT.get(path)
        if url is None:
            url = _KEPT[path] = self.handle_simple(path)
        return url


@register.tag("static")
def do_static(parser, token):
    """Parse {% static %} exactly as Django does; look the URL up once per path."""
    return KeptStaticNode.handle_token(parser, token)
