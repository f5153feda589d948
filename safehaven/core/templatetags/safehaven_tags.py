import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def form_token():
    """Return a hidden one-time token so a double submission creates one record."""
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4())
