"""core/_fields.html written in Python (safehaven/lib/formhtml.py) is the HTML Django wrote."""

import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

import safehaven
from safehaven.directory.forms import SearchForm
from safehaven.lib.formhtml import fields_html

pytestmark = pytest.mark.django_db

# core/_fields.html as it was: every field through Django's widget and label templates.
DJANGO_FIELDS = """{% for field in form.visible_fields %}
<div class="field{% if field.widget_type == 'checkbox' %} checkbox-row{% endif %}">
  {% if field.widget_type == 'checkbox' %}{{ field }} {{ field.label_tag }}{% else %}{{ field.label_tag }}{% endif %}
  {% if field.help_text %}<span class="helptext" id="{{ field.auto_id }}_help">{{ field.help_text }}</span>{% endif %}
  {% if field.errors %}<ul class="errorlist" id="{{ field.auto_id }}_error">{% for e in field.errors %}<li>{{ e }}</li>{% endfor %}</ul>{% endif %}
  {% if field.widget_type != 'checkbox' %}{{ field }}{% endif %}
</div>
{% endfor %}
{% for field in form.hidden_fields %}{{ field }}{% endfor %}"""


def _same(form) -> None:
    want = Template(DJANGO_FIELDS).render(Context({"form": form}))
    got = fields_html(form)

    def squeeze(html):  # whitespace between tags differs; everything else must not
        return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()

    assert squeeze(got) == squeeze(want)
    assert got.count("<textarea") == want.count("<textarea")
    for area in re.findall(r"<textarea[^>]*>\n?", want):  # the newline that opens a textarea matters
        assert area in got


class Everything(forms.Form):
    """Every kind of widget the app uses, with help, errors, initial values and odd labels."""

    name = forms.CharField(label='Name <&> "quoted"', max_length=20, help_text="Your <b>chosen</b> name")
    email = forms.EmailField(required=False)
    count = forms.IntegerField(min_value=1, max_value=9, required=False, initial=3)
    ratio = forms.FloatField(required=False, label="Ratio?")
    when = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    agree = forms.BooleanField(required=False, label="I agree")
    kind = forms.ChoiceField(choices=[("", "Pick one"), ("a", "A & B"), ("Group", [("g1", "G<1>"), ("g2", "G2")])])
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], required=False,
                                     widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False, initial="t<1>")
    custom = forms.CharField(required=False, widget=forms.TextInput(attrs={"id": "own-id", "class": "wide"}))


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_every_widget_kind_unbound_bound_and_with_errors(language):
    with translation.override(language):
        _same(Everything())
        _same(Everything(initial={"name": "Ana", "agree": True, "kind": "g2"}))
        bound = Everything({"name": "x" * 30, "count": "12", "ratio": "abc", "kind": "zz", "agree": "on",
                            "body": "line one\n<script>", "many": ["y"], "token": "a\"b", "custom": "c"})
        bound.is_valid()
        _same(bound)


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_the_directory_search_form(language):
    with translation.override(language):
        _same(SearchForm())
        form = SearchForm({"q": "food <bank>", "age": "abc", "lat": "1", "free": "on", "domain": "housing",
                           "language": "es"})
        form.is_valid()
        _same(form)


def _app_forms():
    for module in pkgutil.walk_packages(safehaven.__path__, "safehaven."):
        if module.name.endswith(".forms"):
            for _name, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.name:
                    yield cls


def test_every_form_of_the_app_that_builds_without_arguments():
    tried = 0
    for cls in _app_forms():
        try:
            unbound = cls()
        except TypeError:
            continue  # needs its page's arguments; covered by the widget kinds above
        tried += 1
        _same(unbound)
        bound = cls({name: "?" for name in unbound.fields})
        bound.is_valid()
        _same(bound)
    assert tried >= 5


def test_the_page_renders_the_fields_through_the_tag(client):
    from django.template.loader import get_template

    source = get_template("core/_fields.html").template.source
    assert "{% form_fields form %}" in source
