#!/usr/bin/env python3
"""Set up and run jiefen with nothing but Python ≥ 3.11.

    python3 dev.py serve   # virtualenv, install, migrate, demo data, http://127.0.0.1:8000
    python3 dev.py test    # virtualenv, install, the test suite (SQLite, then PostgreSQL if reachable)

With CI=true the tests must also run on PostgreSQL (DATABASE_URL, or the server on 127.0.0.1:5432)
and in Chromium; a missing one is a failure, not a skip.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/jiefen"


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def run(*cmd, env=None) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)  # noqa: S603 — our own commands


def ensure_venv() -> None:
    if not PY.exists():
        say("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".jiefen-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing jiefen and its dependencies (first run only)")
    if run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip") != 0:
        sys.exit("pip upgrade failed")
    if run(PY, "-m", "pip", "install", "-q", "-e", ".[dev]") != 0:
        sys.exit("installing the dependencies failed")
    stamp.write_text(digest)


def compile_messages() -> None:
    run(PY, "-m", "jiefen.common.i18n")


def serve(args: list[str]) -> int:
    ensure_venv()
    compile_messages()
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    return run(BIN / "jiefen", "serve", "--demo", *args, env=env)


def postgres_url() -> str | None:
    """The PostgreSQL URL to test against, or None (with the reason printed) if it is not reachable."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_PG
    probe = (
        "import sys, dj_database_url, psycopg\n"
        "c = dj_database_url.parse(sys.argv[1])\n"
        "psycopg.connect(host=c['HOST'] or None, port=c['PORT'] or None, user=c['USER'] or None,"
        " password=c['PASSWORD'] or None, dbname='postgres', connect_timeout=3).close()\n"
    )
    if run(PY, "-c", probe, url) == 0:
        return url
    return None


def test(args: list[str]) -> int:
    ensure_venv()
    compile_messages()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    say("tests on SQLite")
    code = run(PY, "-m", "pytest", *args, env=env)
    pg = postgres_url()
    if pg is None:
        if CI:
            say("PostgreSQL is not reachable (DATABASE_URL or 127.0.0.1:5432) and CI=true: failing")
            return 1
        say("PostgreSQL not reachable: skipped the PostgreSQL run (set DATABASE_URL to run it)")
        return code
    say(f"tests on PostgreSQL ({pg.split('@')[-1]})")
    env["DATABASE_URL"] = pg
    code_pg = run(PY, "-m", "pytest", *args, env=env)
    return code or code_pg


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test"}:
        print(__doc__)
        sys.exit(2)
    command, rest = sys.argv[1], sys.argv[2:]
    sys.exit(serve(rest) if command == "serve" else test(rest))


if __name__ == "__main__":
    main()
