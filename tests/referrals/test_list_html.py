"""The referral list's rows written in Python are the HTML the template wrote, and read little."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from safehaven.referrals import actions, queries
from safehaven.referrals.models import Referral

# The three lists as the template wrote them before they moved to referrals_tags.
_AS_TEMPLATE = """{% load i18n safehaven_tags %}{% for r in stale %}
    <li><a href="{% row_url 'referrals:detail' r.public_id %}">{{ r.person.chosen_name }} — {{ r.organization_name }}</a> <span class="muted">{% translate "sent" %} {{ r.requested_at|date:"SHORT_DATE_FORMAT" }}</span></li>
  {% endfor %}|{% for c in checks %}
    <li><a href="{% row_url 'referrals:detail' c.referral.public_id %}">{{ c.person.chosen_name }} — {{ c.referral.organization_name }}</a></li>
  {% endfor %}|{% for r in open %}<tr>
      <td><a href="{% row_url 'referrals:detail' r.public_id %}">{{ r.person.chosen_name }}</a></td><td>{{ r.organization_name }}</td>
      <td>{{ r.get_status_display }}</td><td>{{ r.status_changed_at|date:"SHORT_DATE_FORMAT" }}</td>
    </tr>{% endfor %}"""


def _lists(cast, make_referral):
    cast.patient.chosen_name = '<b>Ro & "Sa"</b>'
    cast.patient.save()
    waiting = make_referral(send=True)
    Referral.objects.filter(pk=waiting.pk).update(requested_at=timezone.now() - datetime.timedelta(days=30))
    done = make_referral(send=True)
    actions.change_status(by=cast.ana, referral=done, to_status="accepted")
    actions.change_status(by=cast.ana, referral=done, to_status="completed", outcome="A bed")
    make_referral(send=True)
    return {"stale": queries.stale_for(cast.ana), "open": queries.open_for(cast.ana),
            "checks": queries.help_checks_for(cast.ana)}


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_the_rows_are_the_html_the_template_wrote(cast, make_referral, language):
    from safehaven.referrals.templatetags.referrals_tags import (
        help_check_items,
        open_rows,
        stale_items,
    )

    lists = _lists(cast, make_referral)
    assert lists["stale"] and lists["checks"] and len(lists["open"]) >= 2
    with translation.override(language):
        expected = Template(_AS_TEMPLATE).render(Context(lists))
        got = "|".join([stale_items(lists["stale"]), help_check_items(lists["checks"]), open_rows(lists["open"])])
    assert got == expected
    assert "&lt;b&gt;Ro &amp; &quot;Sa&quot;&lt;/b&gt;" in got and "<b>" not in got


def test_the_list_neither_reads_nor_decrypts_packets_or_legal_names(cast, client_for, make_referral, monkeypatch):
    from safehaven.lib import crypto

    cast.patient.legal_name, cast.patient.safety_note = "Legal Name", "Sensitive note"
    cast.patient.save()
    lists_before = _lists(cast, make_referral)
    assert lists_before["open"]
    contexts = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value, context: contexts.append(context) or real(value, context=context))
    lists = {"stale": queries.stale_for(cast.ana), "open": queries.open_for(cast.ana),
             "checks": queries.help_checks_for(cast.ana)}
    assert lists["open"] and lists["stale"] and lists["checks"]
    assert contexts == [], contexts
    page = client_for(cast.ana).get(reverse("referrals:worklist")).content.decode()
    assert "&lt;b&gt;Ro &amp;" in page and "Legal Name" not in page
