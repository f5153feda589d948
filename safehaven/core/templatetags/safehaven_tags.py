import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def form_token():
    """Return a hidden one-time token so a double submission creates one record."""
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4())


@register.simple_tag
def row_url(name, *args):
    """{% row_url "people:chart" p.public_id %}: {% url %} for a row of a list (see lib/urls.py)."""
    from safehaven.lib.urls import row_url as build

    return build(name, *args)


@register.simple_tag
def form_fields(form):
    """{% form_fields form %}: the form's fields as core/_fields.html lays them out (lib/formhtml.py)."""
    from safehaven.lib.formhtml import fields_html

    return fields_html(form)
