"""On a phone the staff navigation folds behind one button, so a page's work starts at the top."""

import pytest

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_phone_menu_opens_and_leads_to_the_case_list(phone_page, live_server, world):
    login(phone_page, live_server, "a_staff", "pw-a_staff")
    nav = phone_page.locator("header nav")
    assert not nav.is_visible()
    phone_page.click("header .menu-toggle")
    assert nav.is_visible()
    assert phone_page.get_attribute("header .menu-toggle", "aria-expanded") == "true"
    nav.get_by_text("案件", exact=True).click()
    phone_page.wait_for_url("**/cases/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_desktop_shows_the_navigation_without_a_button(page, live_server, world):
    login(page, live_server, "a_staff", "pw-a_staff")
    assert page.locator("header nav").is_visible()
    assert not page.locator("header .menu-toggle").is_visible()
