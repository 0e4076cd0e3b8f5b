import pytest

from tests.mediation.helpers import make_profiles


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Uploaded and generated files go to a per-test folder, never the real store.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def profiles(world):
    return make_profiles(world)
