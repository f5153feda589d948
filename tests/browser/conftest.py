"""Real-browser journeys in Debian's headless Chromium, driven by Playwright.

The browser is the one at /usr/bin/chromium (apt package `chromium`); nothing is downloaded.
Outside CI the journeys are skipped when it is not installed; in CI (CI=true) they fail.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is not installed; .ci/run must install it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread for as long as the
    # browser lives; the tests' own ORM calls (and pytest-django's database teardown) are still
    # synchronous and safe. Set for exactly that span; subprocess tests strip DJANGO_* anyway.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture
def tablet(browser, live_server):
    context = browser.new_context(viewport={"width": 820, "height": 1180}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


def serious_violations(page) -> list:
    """Return axe-core violations of serious or critical impact on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def sign_in(page, user, password):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.goto(page.base + "/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    page.get_by_label("Six-digit code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/people/")
