"""Message text is rendered as text; the pages run under a strict CSP."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, join_first, send
from tests.helpers.ws import Client

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>bold</b>'


async def test_when_a_message_holds_html_then_both_pages_show_it_as_text(
    live: Live, browser: Browser
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Hi")
    await join_first(agent)
    await send(customer, XSS)
    for page in (agent, customer):
        shown = page.get_by_test_id("chat-message").filter(has_text="window.__xss=2")
        await expect(shown).to_have_attribute("data-seq", "2")
        assert XSS in await shown.inner_text()
        assert await shown.locator("img, script, b").count() == 0
        assert await page.evaluate("() => window.__xss === undefined")


async def test_pages_are_served_with_a_strict_policy(client: Client) -> None:
    for path in ("/widget/", "/console/"):
        response = await client.get(path)
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert "object-src 'none'" in csp
        assert "base-uri 'none'" in csp
        assert f"ws://{client.host}:{client.port}" in csp
        assert "<script>" not in await response.text()
    widget = await client.get("/widget/")
    assert "frame-ancestors 'self'" in widget.headers["Content-Security-Policy"]
    console = await client.get("/console/")
    assert "frame-ancestors 'none'" in console.headers["Content-Security-Policy"]


async def test_static_files_have_types_etags_and_stay_inside_the_package(client: Client) -> None:
    js = await client.get("/assets/widget/embed.js")
    assert js.status == 200
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    etag = js.headers["ETag"]
    again = await client.get("/assets/widget/embed.js", headers={"If-None-Match": etag})
    assert again.status == 304
    css = await client.get("/assets/shared/chat.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    for bad in (
        "/assets/../http/pages.py",
        "/assets/%2e%2e/http/pages.py",
        "/assets/widget/index.html",
        "/assets/widget/missing.js",
        "/assets/shared/../../web/config.py",
    ):
        response = await client.get(bad)
        assert response.status == 404, bad
    redirect = await client.get("/widget", allow_redirects=False)
    assert redirect.status == 308
    assert redirect.headers["Location"] == "/widget/"
