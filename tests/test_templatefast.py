"""{% url %} (safehaven.lib.templatefast) writes what Django's own tag writes."""

import uuid

import pytest
from django.template import Context, Engine, Template
from django.test import RequestFactory
from django.urls import get_resolver, resolve
from django.urls.exceptions import NoReverseMatch

from safehaven.lib.templatefast import KeptURLNode
from tests.test_row_url import _named_routes

DJANGO = Engine(builtins=[])  # Django's own built-ins only: the tag as Django renders it


def _both(source: str, context: dict):
    ours = Template(source)  # the project's engine, with our built-ins
    theirs = DJANGO.from_string(source)
    return ours, theirs, Context(context)


def test_the_project_engine_uses_the_kept_url_node():
    assert isinstance(Template("{% url 'core:home' %}").nodelist[0], KeptURLNode)


@pytest.mark.parametrize("arg", [uuid.uuid4(), 42, "abc-DEF-9", "a b", "é", "<x>", ""])
def test_every_route_renders_as_djangos_url_tag(arg):
    compared = 0
    for name in _named_routes():
        for source in ("{% url name %}", "{% url name a %}", "{% url name a a %}"):
            ours, theirs, context = _both(source, {"name": name, "a": arg})
            try:
                expected = theirs.render(context)
            except NoReverseMatch:
                with pytest.raises(NoReverseMatch):
                    ours.render(context)
                continue
            assert ours.render(context) == expected, (name, source, arg)
            compared += 1
    assert compared > 40


def test_as_var_keyword_arguments_and_escaping_are_djangos():
    person = uuid.uuid4()
    for source in ("{% url 'people:chart' p as link %}[{{ link }}]", "{% url 'nowhere:at-all' as link %}[{{ link }}]",
                   "{% url 'people:chart' public_id=p %}", "{% autoescape off %}{% url 'people:chart' p %}{% endautoescape %}"):
        ours, theirs, context = _both(source, {"p": person})
        assert ours.render(context) == theirs.render(context), source
    with pytest.raises(NoReverseMatch):
        Template("{% url 'nowhere:at-all' %}").render(Context({}))


def test_inside_a_request_the_namespace_changes_nothing():
    # Django's tag passes the request's namespace as current_app; it can only change a URL
    # when an application namespace is installed more than once, which ours never is.
    assert all(len(instances) == 1 for instances in get_resolver().app_dict.values())
    request = RequestFactory().get("/people/")
    request.resolver_match = resolve("/people/")
    person = uuid.uuid4()
    for source in ("{% url 'people:chart' p %}", "{% url 'people:worklist' %}"):
        ours, theirs, _ = _both(source, {})
        from django.template import RequestContext

        assert ours.render(RequestContext(request, {"p": person})) == theirs.render(RequestContext(request, {"p": person}))


# {% translate %} (safehaven.lib.templatefast_i18n): a constant text translated once per language.

DJANGO_I18N = Engine(builtins=[], libraries={"i18n": "django.templatetags.i18n"})


def _catalogue_texts(language: str, count: int = 60) -> list[str]:
    from django.utils.translation import trans_real

    texts = [k for k, v in trans_real.translation(language)._catalog.items()
             if isinstance(k, str) and k and v and k != v]
    assert len(texts) > count, language
    return sorted(texts)[:count]


def test_the_project_engine_uses_the_kept_translate_node():
    from safehaven.lib.templatefast_i18n import KeptTranslateNode

    template = Template('{% load i18n %}{% translate "Safety" %}{% trans "Care team" %}')
    assert [type(n) for n in template.nodelist[1:]] == [KeptTranslateNode, KeptTranslateNode]


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_translate_renders_as_djangos_tag_in_each_language(language):
    from django.utils import translation

    texts = _catalogue_texts("es") + ["100% sure", "50%% off", "<b>Tom & Jerry</b>", "d'accord \"quoted\"", ""]
    sources = []
    for text in texts:
        literal = text.replace("\\", "\\\\").replace('"', '\\"')
        sources += [f'{{% load i18n %}}{{% translate "{literal}" %}}',
                    f'{{% load i18n %}}{{% autoescape off %}}{{% trans "{literal}" %}}{{% endautoescape %}}']
    with translation.override(language):
        for source in sources:
            ours = Template(source)
            theirs = DJANGO_I18N.from_string(source)
            for _ in range(2):  # the second render comes from what was kept
                assert ours.render(Context({})) == theirs.render(Context({})), (language, source)


def test_translate_keeps_a_text_per_language_and_per_escaping():
    from django.utils import translation

    template = Template('{% load i18n %}{% translate "Safety" %}|{% autoescape off %}{% translate "<b>" %}{% endautoescape %}|{% translate "<b>" %}')
    seen = {}
    for language in ("en", "es", "fr", "en"):
        with translation.override(language):
            seen.setdefault(language, template.render(Context({})))
            assert template.render(Context({})) == seen[language]
    assert seen["en"] == "Safety|<b>|<b>"  # a literal in a template is the author's markup, as in Django
    assert len({seen["en"], seen["es"], seen["fr"]}) == 3


@pytest.mark.parametrize("source", [
    '{% load i18n %}{% translate "Safety" as word %}[{{ word }}]',
    '{% load i18n %}{% translate "May" context "month name" %}',
    '{% load i18n %}{% translate "Safety" noop %}',
    '{% load i18n %}{% translate "Safety"|upper %}',
    '{% load i18n %}{% translate word %}',
    '{% load i18n %}{% blocktranslate %}Safety{% endblocktranslate %}{% get_current_language as l %}{{ l }}',
])
def test_other_translate_forms_are_djangos(source):
    from django.utils import translation

    for language in ("en", "es"):
        with translation.override(language):
            context = {"word": "Care team"}
            assert Template(source).render(Context(context)) == DJANGO_I18N.from_string(source).render(Context(context))


def test_what_was_kept_is_forgotten_when_settings_or_catalogues_change(settings, tmp_path):
    from django.utils import autoreload

    from safehaven.lib import templatefast_i18n

    Template('{% load i18n %}{% translate "Safety" %}').render(Context({}))
    assert templatefast_i18n._KEPT
    settings.LANGUAGE_CODE = "es"
    assert not templatefast_i18n._KEPT
    Template('{% load i18n %}{% translate "Safety" %}').render(Context({}))
    autoreload.file_changed.send(sender=None, file_path=tmp_path / "django.po")
    assert templatefast_i18n._KEPT
    autoreload.file_changed.send(sender=None, file_path=tmp_path / "django.mo")
    assert not templatefast_i18n._KEPT


# {% static %} (safehaven.lib.templatefast_static): each path's URL looked up once.

DJANGO_STATIC = Engine(builtins=[], libraries={"static": "django.templatetags.static"})


@pytest.mark.parametrize("source", [
    "{% load static %}{% static 'safehaven/app.css' %}",
    "{% load static %}{% static path %}",
    "{% load static %}{% static path as link %}[{{ link }}]",
    "{% load static %}{% autoescape off %}{% static path %}{% endautoescape %}",
    "{% load static %}{% get_static_prefix %}|{% get_media_prefix %}",
])
@pytest.mark.parametrize("path", ["safehaven/app.js", "a b/é.css", "x?y=<1>&z", ""])
def test_static_renders_as_djangos_tag(source, path):
    from safehaven.lib.templatefast_static import KeptStaticNode

    assert isinstance(Template("{% load static %}{% static 'x.css' %}").nodelist[1], KeptStaticNode)
    for _ in range(2):  # the second render comes from what was kept
        assert Template(source).render(Context({"path": path})) == \
            DJANGO_STATIC.from_string(source).render(Context({"path": path})), (source, path)


def test_only_a_path_written_in_the_template_is_kept():
    from safehaven.lib import templatefast_static

    templatefast_static._KEPT.clear()
    Template("{% load static %}{% static path %}{% static 'x'|add:path %}").render(Context({"path": "a.css"}))
    assert templatefast_static._KEPT == {}
    Template("{% load static %}{% static 'safehaven/app.css' %}").render(Context({}))
    assert list(templatefast_static._KEPT) == ["safehaven/app.css"]


def test_a_kept_static_url_is_forgotten_when_settings_change(settings):
    template = Template("{% load static %}{% static 'safehaven/app.css' %}")
    before = template.render(Context({}))
    settings.STATIC_URL = "/elsewhere/"
    after = template.render(Context({}))
    assert after != before and after.startswith("/elsewhere/")


def test_the_backend_accepts_only_its_own_two_replacements():
    from django.template import engines

    from safehaven.lib.templatefast import Templates

    assert isinstance(engines["django"], Templates)
    assert engines["django"].check() == []
    clash = Templates({"NAME": "clash", "DIRS": [], "APP_DIRS": True,
                       "OPTIONS": {"libraries": {"people_tags": "safehaven.lib.templatefast_static"}}})
    warnings = clash.check()
    assert [w.id for w in warnings] == ["templates.W003"] and "'people_tags'" in warnings[0].msg
    # Asking for Django's own module under its own name is not a clash either.
    plain = Templates({"NAME": "plain", "DIRS": [], "APP_DIRS": True,
                       "OPTIONS": {"libraries": {"i18n": "django.templatetags.i18n"}}})
    assert plain.check() == []
    from django.templatetags.i18n import TranslateNode

    assert type(plain.engine.from_string('{% load i18n %}{% translate "x" %}').nodelist[1]) is TranslateNode
