"""The one way Safe Haven turns HTML into a PDF: WeasyPrint that loads nothing.

Printed documents carry text people typed (names, goals, recipients). Should any of it ever
reach the HTML as markup, WeasyPrint would try to load what it names: `file:///etc/passwd`,
an internal `http://127.0.0.1:…` address, a CSS `url(…)`. Here there is no base URL and the
URL fetcher refuses every URL, so rendering never touches the network or the file system;
a refused image or stylesheet is simply left out of the document. Our templates embed no
images, fonts or stylesheets by URL (not even data: URIs), so nothing legitimate is lost.

WeasyPrint is imported when a PDF is drawn, so pages that never print do not pay for it.
"""

import functools


class FetchRefused(ValueError):
    """WeasyPrint asked to load a URL; printed documents never load anything."""


def refuse(url: str) -> None:
    """Refuse to load `url` (every URL). Kept separate so a test can watch it being asked."""
    scheme = url.split(":", 1)[0][:16] if ":" in url else "relative"
    raise FetchRefused(f"printed documents load no external resources ({scheme}: refused)")


@functools.cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class RefuseEveryURL(URLFetcher):
        """A WeasyPrint URL fetcher whose every fetch is refused (no file, http or data URL)."""

        def __init__(self):
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url, headers=None):
            refuse(url)

    return RefuseEveryURL


def no_fetch_url_fetcher():
    """Return a WeasyPrint URL fetcher that refuses every URL."""
    return _fetcher_class()()


def render_pdf(html: str) -> bytes:
    """Return `html` drawn as a PDF, with no base URL and no URL ever fetched."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=None, url_fetcher=no_fetch_url_fetcher()).write_pdf()
