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
