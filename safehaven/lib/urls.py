"""reverse() for list pages: the URL of a named route is built once and filled in per row.

A worklist of 50 people, a referral list or the chart's encounters call reverse() once a
row, and each call walks the URL resolver again (tens of microseconds). For arguments that
are record ids (UUIDs, numbers, slugs: letters, digits and hyphens only, which URL quoting
leaves alone) `row_url` reverses the route once with marker arguments and then only puts
the real ones where the markers were. Other arguments, or a route whose converters refuse a
marker, go to reverse() every time.
"""

import re

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_ID = re.compile(r"[0-9A-Za-z-]+")
_MARK = "qqsafehavenslot{}qq"
_SPLIT = re.compile(r"qqsafehavenslot(\d+)qq")
_BUILT: dict[tuple, list | None] = {}


def row_url(name: str, *args) -> str:
    """Return reverse(name, args=args), faster when every argument is a record id."""
    return _fill(name, args, get_script_prefix(), get_urlconf())


def row_urls(name: str):
    """Return row_url for one route as a function of its arguments, for the rows of one page.

    The script prefix and URL configuration (thread-local reads) are read once, here.
    """
    prefix, urlconf = get_script_prefix(), get_urlconf()

    def fill(*args) -> str:
        return _fill(name, args, prefix, urlconf)

    return fill


def _fill(name: str, args: tuple, prefix: str, urlconf) -> str:
    values = [str(a) for a in args]
    if not all(_ID.fullmatch(v) for v in values):
        return reverse(name, args=args, urlconf=urlconf)
    key = (name, len(values), prefix, urlconf)
    parts = _BUILT.get(key, False)
    if parts is False:
        parts = _build(name, len(values), urlconf)
        _BUILT[key] = parts
    if parts is None:
        return reverse(name, args=args, urlconf=urlconf)
    return "".join(values[p] if isinstance(p, int) else p for p in parts)


def _build(name: str, count: int, urlconf) -> list | None:
    try:
        url = reverse(name, args=[_MARK.format(i) for i in range(count)], urlconf=urlconf)
    except NoReverseMatch:  # a converter refused the marker: use reverse() each time
        return None
    pieces = _SPLIT.split(url)
    # split() alternates literal text and slot numbers: "a", "0", "b", "1", "c".
    parts: list = [int(p) if i % 2 else p for i, p in enumerate(pieces)]
    if sorted(p for p in parts if isinstance(p, int)) != list(range(count)):
        return None  # the pattern dropped or repeated a marker: use reverse() each time
    return [p for p in parts if p != ""]
