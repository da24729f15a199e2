"""The skip link in a real browser: the first Tab of the page, and where Enter on it leads.

With the side panel closed there is no panel to skip to: the link then leads to the tools
(static/js/skiplink.js says why not to reopen a panel), and says so.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP

pytestmark = [pytest.mark.e2e]

ACTIVE = """() => {
    const element = document.activeElement;
    return {id: element.id, tool: element.dataset.tool || null, text: element.textContent.trim(),
            className: element.className};
}"""


def tab_from_the_page_start(page) -> dict:
    """Put the focus where a fresh page load has it (the document itself), press Tab once.

    Blurring is not enough: Chromium then goes on from the element that had the focus.
    """
    page.evaluate(
        """() => {
            document.body.tabIndex = -1;
            document.body.focus();
            document.body.removeAttribute('tabindex');
        }"""
    )
    page.keyboard.press("Tab")
    return page.evaluate(ACTIVE)


def test_skip_link_leads_to_the_first_tool_while_the_panel_is_closed_then_to_the_panel(
    map_session,
):
    page = map_session.page
    map_session.open(lat=60.1700, lon=24.9445, zoom=16)  # a move writes the view's address
    address = page.evaluate("window.location.hash")
    assert address.startswith("#map=")

    page.keyboard.press("Tab")  # the first Tab of a freshly loaded page
    first = page.evaluate(ACTIVE)
    assert first["className"] == "skip-link"
    assert first["text"] == "Skip to the tools"
    assert page.locator(".skip-link").is_visible(), "shown once it has the focus"
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE)["tool"] == "filters", "the first tool has the focus"
    assert page.evaluate("document.getElementById('panel').hidden"), "nothing was opened"

    page.keyboard.press("Enter")  # the tool opens its panel
    assert page.evaluate("document.getElementById('panel').hidden") is False
    assert tab_from_the_page_start(page)["text"] == "Skip to the panel"
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE)["id"] == "panel"
    assert page.get_by_role("heading", name="Filters").is_visible()
    # The map keeps its view in the address; the link does not replace it with "#panel".
    assert page.evaluate("window.location.hash") == address

    page.keyboard.press("Escape")
    assert tab_from_the_page_start(page)["text"] == "Skip to the tools"
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE)["tool"] == "filters"


def test_skip_link_in_french_names_where_it_leads(session_factory):
    french = session_factory(locale="fr-FR")
    page = french.page
    french.open()
    assert page.text_content(".skip-link") == "Aller aux outils"
    page.get_by_role("button", name="Filtres").click()
    assert page.text_content(".skip-link") == "Aller au panneau"


def test_skip_link_without_scripts_moves_the_keyboard_to_the_tools(
    browser, live_server, local_tiles, helsinki
):
    """The page's scripts off: the link is followed as a plain link, and the next Tab is
    the first tool."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE)["text"] == "Skip to the tools"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE)["tool"] == "filters"
    finally:
        context.close()
