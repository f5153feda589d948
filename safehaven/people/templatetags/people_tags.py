"""Template tags of the people pages."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from safehaven.lib.render import Page, esc
from safehaven.lib.urls import row_urls

register = template.Library()

# The worklist is the page staff open most, 50 rows at a time; written with template tags,
# each row cost about 0.1 ms of CPU in Django's template engine. The row is the same HTML,
# escaped the same way (tests/test_people.py compares the two).
_ROW = ('<tr>\n      <td><a href="{}">{}</a>{}</td>\n      <td>{}</td>\n      <td>{}</td>\n'
        '      <td>{}</td>\n    </tr>\n')


@register.simple_tag
def worklist_rows(people) -> str:
    """{% worklist_rows people %}: the worklist's table rows (name, pronouns, site, last seen)."""
    page = Page()
    today = page.today()
    minor = f' <span class="badge warn">{esc(gettext("Minor"))}</span>'
    not_yet = f'<span class="muted">{esc(gettext("Not yet"))}</span>'
    chart_url = row_urls("people:chart")
    out = []
    for p in people:
        if p.last_seen:
            local = page.local(p.last_seen)
            seen = f'<time datetime="{esc(page.iso(local))}">{esc(page.date(local, "SHORT_DATE_FORMAT"))}</time>'
        else:
            seen = not_yet
        out.append(_ROW.format(esc(chart_url(p.public_id)), esc(p.chosen_name),
                               minor if p.is_minor_on(today) else "", esc(p.pronouns), esc(p.site.name), seen))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped or our own markup


# The chart's encounters (the newest 10, each with its notes), on every chart view.
_ENCOUNTER = ('<article class="card">\n    <h3><a href="{}">{}</a> · {} · {}</h3>\n'
              '    <p class="note-body">{}</p>\n    {}\n  </article>\n  ')
_NOTE = ('<details><summary>{} — {}, {}</summary><p class="note-body">{}</p></details>')


@register.simple_tag
def chart_encounters(encounters) -> str:
    """{% chart_encounters encounters %}: each encounter with its notes (`chart_notes`)."""
    page = Page()
    encounter_url = row_urls("people:encounter")
    out = []
    for e in encounters:
        notes = "".join(
            _NOTE.format(esc(n.get_kind_display()), esc(n.author.name),
                         esc(page.date(page.local(n.created_at), "SHORT_DATETIME_FORMAT")), esc(n.body))
            for n in e.chart_notes)
        out.append(_ENCOUNTER.format(esc(encounter_url(e.public_id)),
                                     esc(page.date(page.local(e.started_at), "DATETIME_FORMAT")),
                                     esc(e.get_setting_display()), esc(e.get_status_display()),
                                     esc(e.chief_complaint), notes))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped or our own markup
