"""Production: every secret comes from the environment, and a missing one stops start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, keys_from

for _name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "LOOKUP_HASH_KEY", "DATABASE_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production")

SECRET_KEY = os.environ["SECRET_KEY"]
FIELD_ENCRYPTION_KEY, LOOKUP_HASH_KEY = keys_from(dict(os.environ))
DEBUG = env_bool("DEBUG", False)
DEMO_MODE = False
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
