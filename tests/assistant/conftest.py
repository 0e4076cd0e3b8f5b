import pytest
from django.core.cache import cache

from jiefen.assistant import runtime
from jiefen.assistant.kb import default_kb_path, load_kb
from jiefen.assistant.services import kb_load


@pytest.fixture(autouse=True)
def _fresh_assistant_state():
    """Each test starts with no rate-limit counts and no cached matcher from another test's database."""
    cache.clear()
    runtime.invalidate()
    yield
    runtime.invalidate()
    cache.clear()


@pytest.fixture
def published_kb(db):
    """The shipped knowledge base loaded into the database and published (as `jiefen assistant-kb load`)."""
    counts = kb_load(actor=None, kb=load_kb(default_kb_path()), publish=True)
    runtime.invalidate()
    return counts
