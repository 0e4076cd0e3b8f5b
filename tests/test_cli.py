import os
import subprocess
import sys
from pathlib import Path

JIEFEN = Path(sys.executable).parent / "jiefen"


def test_jiefen_help_lists_the_platform_commands():
    out = subprocess.run([str(JIEFEN), "--help"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    for command in ("serve", "demo", "worker"):
        assert command in out


def test_jiefen_wraps_djangos_commands(tmp_path):
    env = {**os.environ, "JIEFEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([str(JIEFEN), "check"], capture_output=True, text=True, env=env)  # noqa: S603
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secrets.json").exists(), "demo secrets are generated and kept locally"


def test_production_refuses_to_start_without_secrets(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "LOOKUP_HASH_KEY"}
    }
    env.update({"JIEFEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.production"})
    result = subprocess.run([str(JIEFEN), "check"], capture_output=True, text=True, env=env)  # noqa: S603
    assert result.returncode != 0 and "must be set in production" in result.stderr
