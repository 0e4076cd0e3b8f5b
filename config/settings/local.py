"""Demo and development mode: DEBUG on by default, secrets generated and kept in var/secrets.json."""

import os

from .base import *  # noqa: F403
from .base import env_bool, keys_from, local_secrets

_secrets = local_secrets()
SECRET_KEY = os.environ.get("SECRET_KEY") or _secrets["SECRET_KEY"]
FIELD_ENCRYPTION_KEY, LOOKUP_HASH_KEY = keys_from(
    {**_secrets, **{k: v for k, v in os.environ.items() if k in {"FIELD_ENCRYPTION_KEY", "LOOKUP_HASH_KEY"}}}
)
DEBUG = env_bool("DEBUG", True)
# Demo logins (password jiefen-demo) exist only while this is on.
DEMO_MODE = DEBUG or env_bool("JIEFEN_DEMO", False)
