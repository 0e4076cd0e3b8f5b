import pytest


@pytest.mark.django_db
def test_the_ui_is_chinese_by_default_even_for_an_english_browser(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in html and "Sign in" not in html


@pytest.mark.django_db
def test_english_is_available_on_request(client):
    from jiefen.common.i18n import compile_all

    compile_all()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Sign in" in html and "Financial Dispute Resolution Platform" in html
