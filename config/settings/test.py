"""Tests: fixed keys, fast hashing; DATABASE_URL picks PostgreSQL, otherwise SQLite."""

import base64
import os

from .base import *  # noqa: F403
from .base import database_config

SECRET_KEY = "test-secret-key-not-for-production-0123456789"  # noqa: S105
FIELD_ENCRYPTION_KEY = base64.urlsafe_b64decode(base64.urlsafe_b64encode(b"k" * 32))
LOOKUP_HASH_KEY = b"h" * 32
DEBUG = False
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = os.environ.get("AXES_ENABLED", "0") == "1"
DATABASES = {"default": database_config(os.environ.get("DATABASE_URL") or "sqlite:///:memory:")}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
