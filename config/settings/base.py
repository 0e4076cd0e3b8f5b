"""Settings shared by every mode. Everything that differs between machines comes from the environment.

Bad values fail loudly at start-up (ImproperlyConfigured) rather than at the first request.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("JIEFEN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def local_secrets() -> dict[str, str]:
    """Secrets for demo and development: generated once and kept in var/secrets.json.

    Production never calls this (see production.py): there a missing secret is an error.
    """
    path = VAR_DIR / "secrets.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    changed = False
    for key, size in (("SECRET_KEY", 50), ("FIELD_ENCRYPTION_KEY", 32), ("LOOKUP_HASH_KEY", 32)):
        if key not in data:
            raw = secrets.token_bytes(size)
            data[key] = (
                base64.urlsafe_b64encode(raw).decode() if key != "SECRET_KEY" else secrets.token_urlsafe(size)
            )
            changed = True
    if changed:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        path.chmod(0o600)
    return data


def database_config(url: str | None) -> dict[str, Any]:
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'jiefen.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=60)
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while the importer writes; IMMEDIATE avoids "database is locked"
        # upgrades from read to write locks inside transactions.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] not in {"django.db.backends.postgresql"}:
        raise ImproperlyConfigured("DATABASE_URL must point to SQLite or PostgreSQL")
    return dict(config)


DEBUG = False
DEMO_MODE = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "channels",
    "jiefen.common",
    "jiefen.orgs",
    "jiefen.accounts",
    "jiefen.parties",
    "jiefen.audit",
    "jiefen.cases",
    "jiefen.outreach",
    "jiefen.public",
    "jiefen.evidence",
    "jiefen.documents",
    "jiefen.disposal",
    "jiefen.mediation",
    "jiefen.litigation",
    "jiefen.credit",
    "jiefen.complaints",
    "jiefen.education",
    "jiefen.assistant",
    "jiefen.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jiefen.common.middleware.DefaultChineseMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiefen.common.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "jiefen.orgs.context_processors.viewer",
                "jiefen.public.context_processors.public",
            ],
        },
    }
]

DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username+IP pair after repeated failures; an administrator unlocks in the admin.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "8"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its start-up banner would clutter every command's output

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files live outside the web root and are only served through views that check access.
MEDIA_ROOT = Path(os.environ.get("JIEFEN_MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; kept default-safe
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools report every font and CSS property they skip at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- jiefen ---
# Hotline printed on reminders and notices; each centre sets its own.
JIEFEN_CENTER_NAME = os.environ.get("JIEFEN_CENTER_NAME", "泉州市金融纠纷一体化调处中心")
JIEFEN_HOTLINE = os.environ.get("JIEFEN_HOTLINE", "0595-12345")
# Pages of the case list; the list never counts the whole table (see cases.selectors).
JIEFEN_PAGE_SIZE = 50
# SMS gateway (jiefen.outreach.backends): the offline outbox unless a provider adapter is named.
JIEFEN_SMS_BACKEND = os.environ.get("JIEFEN_SMS_BACKEND", "jiefen.outreach.backends.OutboxBackend")
# The public address put in SMS links and QR codes (e.g. https://jiefen.example.cn); empty: the
# address of the request that made the link.
JIEFEN_PUBLIC_URL = os.environ.get("JIEFEN_PUBLIC_URL", "")
# Outside services behind small interfaces; each default works offline (see docs/).
JIEFEN_RECOVERY_BACKEND = os.environ.get(
    "JIEFEN_RECOVERY_BACKEND", "jiefen.disposal.recovery.FileExchangeBackend"
)
JIEFEN_JITSI_URL = os.environ.get("JIEFEN_JITSI_URL", "https://meet.jit.si")
JIEFEN_VIDEO_BACKEND = os.environ.get("JIEFEN_VIDEO_BACKEND", "jiefen.mediation.backends.JitsiBackend")
JIEFEN_VIRUS_SCANNER = os.environ.get("JIEFEN_VIRUS_SCANNER", "jiefen.evidence.backends.SignatureScanner")
JIEFEN_CLAMD_SOCKET = os.environ.get("JIEFEN_CLAMD_SOCKET", "/var/run/clamav/clamd.ctl")
JIEFEN_ANCHOR_BACKEND = os.environ.get("JIEFEN_ANCHOR_BACKEND", "jiefen.evidence.backends.OfflineAnchor")
JIEFEN_ASSET_INQUIRY_BACKEND = os.environ.get(
    "JIEFEN_ASSET_INQUIRY_BACKEND", "jiefen.litigation.backends.OfflineAssetInquiry"
)


def keys_from(source: dict[str, str]) -> tuple[bytes, bytes]:
    """Decode the two data-protection keys and check their length, so a typo fails at start-up."""
    out = []
    for name in ("FIELD_ENCRYPTION_KEY", "LOOKUP_HASH_KEY"):
        raw = source.get(name, "")
        try:
            key = base64.urlsafe_b64decode(raw.encode())
        except Exception as exc:
            raise ImproperlyConfigured(f"{name} is not valid URL-safe base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"{name} must decode to 32 bytes (got {len(key)})")
        out.append(key)
    return out[0], out[1]
