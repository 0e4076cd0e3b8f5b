import pytest

from tests.browser.conftest import chromium, page, phone_page  # noqa: F401 — browser fixtures for every folder
from tests.factories import World


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def pdf_required():
    """PDF tests need WeasyPrint's Pango: skipped with a message locally, required in CI."""
    import os

    from jiefen.documents.render import pdf_available

    if not pdf_available():
        message = "PDF rendering needs the Pango library (Debian: libpango-1.0-0)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
