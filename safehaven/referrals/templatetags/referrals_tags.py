"""Template tags of the referral pages.

The referral list shows up to 200 rows in each of its three lists and is opened many times
a day; written with template tags, each row cost tens of microseconds in Django's template
engine. These write the same HTML, escaped the same way (tests/referrals/test_list_html.py
compares them with the template's rows in three languages).
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from safehaven.lib.render import Page, esc
from safehaven.lib.urls import row_urls

register = template.Library()

_STALE = ('\n    <li><a href="{}">{} — {}</a> <span class="muted">{} {}</span></li>\n  ')
_CHECK = '\n    <li><a href="{}">{} — {}</a></li>\n  '
_OPEN = ('<tr>\n      <td><a href="{}">{}</a></td><td>{}</td>\n'
         '      <td>{}</td><td>{}</td>\n    </tr>')


@register.simple_tag
def stale_items(referrals) -> str:
    """{% stale_items stale %}: referrals waiting too long, with when they were sent."""
    page = Page()
    sent = esc(gettext("sent"))
    detail = row_urls("referrals:detail")
    return mark_safe("".join(  # noqa: S308 - every piece is escaped or our own markup
        _STALE.format(esc(detail(r.public_id)), esc(r.person.chosen_name),
                      esc(r.organization_name), sent, esc(page.date(page.local(r.requested_at), "SHORT_DATE_FORMAT")))
        for r in referrals))


@register.simple_tag
def help_check_items(checks) -> str:
    """{% help_check_items checks %}: people to ask whether they got the help."""
    detail = row_urls("referrals:detail")
    return mark_safe("".join(  # noqa: S308 - every piece is escaped or our own markup
        _CHECK.format(esc(detail(c.referral.public_id)), esc(c.person.chosen_name),
                      esc(c.referral.organization_name))
        for c in checks))


@register.simple_tag
def open_rows(referrals) -> str:
    """{% open_rows open %}: the open referrals' table rows (person, partner, status, since)."""
    page = Page()
    detail = row_urls("referrals:detail")
    return mark_safe("".join(  # noqa: S308 - every piece is escaped or our own markup
        _OPEN.format(esc(detail(r.public_id)), esc(r.person.chosen_name), esc(r.organization_name),
                     esc(r.get_status_display()),
                     esc(page.date(page.local(r.status_changed_at), "SHORT_DATE_FORMAT")) if r.status_changed_at else "")
        for r in referrals))
