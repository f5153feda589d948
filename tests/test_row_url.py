"""row_url() gives exactly what reverse() gives, for every route and any argument."""

import uuid

import pytest
from django.urls import get_resolver, reverse, set_script_prefix
from django.urls.exceptions import NoReverseMatch

from safehaven.lib.urls import row_url, row_urls


def _named_routes():
    resolver = get_resolver()
    names = []
    for name in resolver.reverse_dict.keys():
        if isinstance(name, str):
            names.append(name)
    for namespace, (_prefix, sub) in resolver.namespace_dict.items():
        for name in sub.reverse_dict.keys():
            if isinstance(name, str):
                names.append(f"{namespace}:{name}")
    return sorted(set(names))


ARGS = [uuid.uuid4(), str(uuid.uuid4()), 42, "abc-DEF-9", "a b", "é", "../x", "50%", ""]


@pytest.mark.parametrize("prefix", ["/", "/clinic/"])
def test_row_url_matches_reverse_for_every_route(prefix):
    set_script_prefix(prefix)
    compared = 0
    try:
        for name in _named_routes():
            for count in (0, 1, 2):
                for arg in ARGS:
                    args = [arg] * count
                    try:
                        expected = reverse(name, args=args)
                    except NoReverseMatch:
                        with pytest.raises(NoReverseMatch):
                            row_url(name, *args)
                        with pytest.raises(NoReverseMatch):
                            row_urls(name)(*args)
                        continue
                    assert row_url(name, *args) == expected, (name, args)
                    assert row_url(name, *args) == expected  # the second call uses what was built
                    assert row_urls(name)(*args) == expected  # the same, prefix read once per page
                    compared += 1
    finally:
        set_script_prefix("/")
    assert compared > 150


def test_two_different_ids_fill_their_own_slots():
    first, second = uuid.uuid4(), uuid.uuid4()
    assert row_url("people:chart", first) == reverse("people:chart", args=[first])
    assert row_url("people:chart", second) == reverse("people:chart", args=[second])
