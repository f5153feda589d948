"""Escaping and local dates for HTML written in Python on hot pages, as Django writes them.

The worklist's rows, the chart's encounters and the referral list are written in Python
(`people_tags`, `referrals_tags`). Written with Django's `format_html`, `date_format` and
`template_localtime`, each row still cost tens of microseconds: every argument went
through `keep_lazy` wrappers, every date looked its format up again through the lazy
settings and the active language (a thread-local read each time), re-split the format
string with a regular expression, and looked up the current time zone again.

`Page` reads the language and the time zone once, and keeps each format string split
into literal text and `DateFormat` method names per (format, language). Dates are still
formatted by Django's own `DateFormat` methods and text is escaped as `conditional_escape`
does, so the output is the same (tests/test_render.py compares them for every format the
pages use, in three languages, around a daylight-saving change).
"""

from datetime import date, datetime
from html import escape as _escape

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.functional import Promise

_COMPILED: dict[tuple[str, str | None], tuple[tuple[bool, str], ...]] = {}


def esc(value) -> str:
    """Return `value` escaped for HTML unless it is already safe (conditional_escape)."""
    if isinstance(value, Promise):
        value = str(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()
    return _escape(str(value))


@receiver(setting_changed)
def _forget_formats(**kwargs) -> None:
    """Forget the split formats when a test changes settings (as Django forgets its own)."""
    _COMPILED.clear()


def _compile(format_name: str, language: str | None) -> tuple[tuple[bool, str], ...]:
    """Split a named format of this language into (is a specifier, text) pieces."""
    pieces = []
    for i, piece in enumerate(re_formatchars.split(str(get_format(format_name, lang=language)))):
        if i % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


class Page:
    """The active language and time zone of one render, read once."""

    __slots__ = ("language", "tz", "use_tz")

    def __init__(self) -> None:
        self.language = translation.get_language()
        self.tz = timezone.get_current_timezone()
        self.use_tz = settings.USE_TZ

    def local(self, value):
        """Return an aware datetime in the current time zone (template_localtime)."""
        if (self.use_tz and isinstance(value, datetime) and value.utcoffset() is not None
                and getattr(value, "convert_to_local_time", True)):
            return value.astimezone(self.tz)
        return value

    def date(self, value: date | datetime, format_name: str) -> str:
        """Return `value` (already local) in a named format of the language: date_format()."""
        key = (format_name, self.language)
        pieces = _COMPILED.get(key)
        if pieces is None:
            pieces = _COMPILED[key] = _compile(format_name, self.language)
        formatter = DateFormat(value)
        if type(value) is date:  # Django refuses time specifiers for a date: let it say so
            return formatter.format(get_format(format_name, lang=self.language))
        return "".join(str(getattr(formatter, text)()) if spec else text for spec, text in pieces)

    def iso(self, value: datetime) -> str:
        """Return `value` as ISO 8601, as the "c" format does."""
        return value.isoformat()

    def today(self) -> date:
        """Return today's date in the current time zone (timezone.localdate())."""
        return timezone.now().astimezone(self.tz).date()
