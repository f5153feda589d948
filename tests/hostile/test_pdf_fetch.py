"""WeasyPrint never fetches a URL while Safe Haven draws a PDF.

Every printed document goes through safehaven.core.pdf.render_pdf: no base URL, and a URL
fetcher that refuses every URL. Here each document is drawn with

* the hostile text typed into a free-text field that the document prints (it must come out
  escaped, so it names nothing WeasyPrint would load), and
* the same markup forced into the HTML handed to WeasyPrint, as if escaping had failed:
  WeasyPrint then does ask for the URLs, and the test proves each request reached our
  fetcher and was refused, that WeasyPrint's own fetcher never ran, and that a real server
  listening at the http:// address received no connection.
"""

import datetime
import socket
import urllib.request

import pytest
import weasyprint
from django.urls import reverse
from django.utils import timezone
from weasyprint.urls import URLFetcher

from safehaven.core import pdf

pytestmark = pytest.mark.django_db
REAL_HTML = weasyprint.HTML


@pytest.fixture
def listener():
    """A real TCP listener on 127.0.0.1: any connection attempt waits in its backlog."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections(sock) -> int:
    count = 0
    while True:
        try:
            conn, _addr = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def hostile_markup(port: int) -> tuple[str, list[str]]:
    """Return markup naming a local file, a local http stylesheet and CSS url(), and the URLs."""
    css = f"http://127.0.0.1:{port}/x.css"
    bg = f"http://127.0.0.1:{port}/bg.png"
    markup = (
        f'<link rel="stylesheet" href="{css}">'
        '<img src="file:///etc/passwd" alt="">'
        f'<p style="background-image: url(\'{bg}\')">.</p>'
    )
    return markup, [css, "file:///etc/passwd", bg]


class Watch:
    """Wraps weasyprint.HTML: optionally forces markup into the HTML and records the fetches."""

    def __init__(self, inject: str = ""):
        self.inject = inject
        self.html: list[str] = []
        self.fetchers: list[object] = []
        self.refused: list[str] = []
        self.real_fetches: list[str] = []

    def __call__(self, *args, string=None, **kwargs):
        self.html.append(string or "")
        self.fetchers.append(kwargs.get("url_fetcher"))
        if self.inject and string:
            string = string.replace("</body>", self.inject + "</body>", 1)
            assert self.inject in string, "the document has no </body> to inject into"
        return REAL_HTML(*args, string=string, **kwargs)


@pytest.fixture
def watch(monkeypatch, listener):
    markup, urls = hostile_markup(listener.getsockname()[1])
    spy = Watch(markup)
    spy.urls = urls
    real_refuse = pdf.refuse

    def refuse(url):
        spy.refused.append(url)
        real_refuse(url)

    def real_fetch(self, url, *args, **kwargs):
        spy.real_fetches.append(url)
        raise AssertionError(f"WeasyPrint's own fetcher ran for {url}")

    def real_open(self, url, *args, **kwargs):
        spy.real_fetches.append(str(getattr(url, "full_url", url)))
        raise AssertionError("urllib opened a URL")

    monkeypatch.setattr(weasyprint, "HTML", spy)
    monkeypatch.setattr(pdf, "refuse", refuse)
    monkeypatch.setattr(URLFetcher, "fetch", real_fetch)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", real_open)
    return spy


def assert_nothing_fetched(spy: Watch, listener, response, *, typed: str = ""):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert spy.html, "no PDF was drawn"
    for fetcher in spy.fetchers:
        assert isinstance(fetcher, pdf._fetcher_class()), fetcher
    for url in spy.urls:  # every hostile URL reached our fetcher, once per document drawn
        assert spy.refused.count(url) == len(spy.html), (url, spy.refused)
    assert spy.real_fetches == []
    assert connections(listener) == 0
    if typed:  # the text typed into the record is printed, escaped
        assert any("&lt;img src=&quot;file:///etc/passwd&quot;" in h for h in spy.html)
        assert not any(typed in h for h in spy.html)


def typed_text(listener) -> str:
    return hostile_markup(listener.getsockname()[1])[0]


# --------------------------------------------------------------------------- the helper


def test_render_pdf_refuses_file_http_and_css_urls_and_still_draws(listener, monkeypatch):
    asked: list[str] = []
    real_refuse = pdf.refuse
    monkeypatch.setattr(pdf, "refuse", lambda url: (asked.append(url), real_refuse(url)))
    monkeypatch.setattr(URLFetcher, "fetch", lambda self, url, *a, **k: pytest.fail(f"fetched {url}"))
    port = listener.getsockname()[1]
    html = (
        f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
        f'<style>@import url("http://127.0.0.1:{port}/imported.css"); '
        f'h1 {{ background: url(file:///etc/passwd) }}</style></head>'
        '<body><h1>Plan</h1><img src="file:///etc/passwd">'
        '<img src="data:image/png;base64,iVBORw0KGgo="></body></html>'
    )
    out = pdf.render_pdf(html)
    assert out.startswith(b"%PDF")
    assert sorted(set(asked)) == sorted({
        f"http://127.0.0.1:{port}/x.css", f"http://127.0.0.1:{port}/imported.css",
        "file:///etc/passwd", "data:image/png;base64,iVBORw0KGgo=",
    })
    assert connections(listener) == 0


def test_a_relative_url_has_no_base_to_resolve_against():
    with pytest.raises(pdf.FetchRefused):
        pdf.no_fetch_url_fetcher()("file:///etc/passwd")
    out = pdf.render_pdf('<base href="file:///etc/"><img src="passwd"><p>x</p>')
    assert out.startswith(b"%PDF")


# ------------------------------------------------------------------ each printed document


def test_the_visit_summary_fetches_nothing(cast, client_for, watch, listener):
    from safehaven.people import actions

    typed = typed_text(listener)
    encounter = actions.start_encounter(by=cast.alice, person=cast.patient, setting="clinic",
                                        chief_complaint=typed)
    response = client_for(cast.alice).get(reverse("screening:visit_summary", args=[encounter.public_id]))
    assert_nothing_fetched(watch, listener, response, typed=typed)


def test_the_printed_care_plan_fetches_nothing(cast, client_for, watch, listener):
    from safehaven.careplans import actions

    typed = typed_text(listener)
    plan = actions.start_plan(by=cast.alice, person=cast.patient)
    actions.add_goal(by=cast.alice, plan=plan, version=plan.version, description=typed)
    response = client_for(cast.alice).get(reverse("careplans:print", args=[cast.patient.public_id]))
    assert_nothing_fetched(watch, listener, response, typed=typed)


@pytest.mark.parametrize("document", ["summary_pdf", "grant_pdf", "disclosures_pdf", "blank_form_pdf"])
def test_consent_printouts_fetch_nothing(cast, client_for, watch, listener, document):
    from safehaven.consent.models import ConsentGrant

    typed = typed_text(listener)
    now = timezone.now()
    grant = ConsentGrant.objects.create(
        person=cast.patient, provision="permit", recipient_kind="organization",
        recipient_ref="7d6f1f9e-8a4b-4c61-9f25-1d8b7c1e2a01", recipient_label=typed,
        recipient_category="health_care", purposes=["treatment"], categories=["clinical_summary"],
        method="written", informed=True, recorded_by=cast.alice, signature_name="Rosa",
        starts_at=now - datetime.timedelta(days=1), expires_at=now + datetime.timedelta(days=30),
    )
    args = {"grant_pdf": [grant.public_id], "blank_form_pdf": []}.get(document, [cast.patient.public_id])
    response = client_for(cast.alice).get(reverse(f"consent:{document}", args=args))
    assert_nothing_fetched(watch, listener, response,
                           typed=typed if document in {"summary_pdf", "grant_pdf"} else "")


def test_a_training_certificate_fetches_nothing(cast, client_for, watch, listener):
    from safehaven.training.actions import load_curriculum
    from safehaven.training.content import read_modules
    from safehaven.training.models import Completion, Module
    from tests.training.conftest import complete

    typed = typed_text(listener)
    load_curriculum(by="test", modules=read_modules())
    cast.bob.display_name = typed[:150]
    cast.bob.save(update_fields=["display_name"])
    complete(cast.bob, Module.objects.order_by("order").first())
    completion = Completion.objects.get(user=cast.bob)
    response = client_for(cast.bob).get(reverse("training:certificate", args=[completion.public_id]))
    assert_nothing_fetched(watch, listener, response)
    assert not any(typed[:40] in h for h in watch.html)


def test_the_evaluation_report_fetches_nothing(cast, client_for, watch, listener):
    from safehaven.accounts.models import Site

    typed = typed_text(listener)
    Site.objects.filter(pk=cast.site_a.pk).update(name=typed[:200])
    response = client_for(cast.eve).get(reverse("evaluation:dashboard"),
                                        {"format": "pdf", "site": str(cast.site_a.public_id)})
    assert_nothing_fetched(watch, listener, response)
    assert not any(typed[:40] in h for h in watch.html)
