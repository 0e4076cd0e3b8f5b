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


def _children(pid: int) -> set[int]:
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def test_serve_migrates_serves_runs_a_worker_beside_it_and_stops_it(tmp_path):
    import socket
    import time
    import urllib.request

    import pytest

    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to see the worker processes")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JIEFEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(  # noqa: S603
        [str(JIEFEN), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(1)
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status  # noqa: S310
            except OSError:
                continue
        assert status == 200
        helpers = _children(server.pid)
        assert len(helpers) == 2, "a worker and the scheduler run beside the web server"
    finally:
        server.terminate()
        server.wait(timeout=60)
    time.sleep(0.5)
    assert not any(Path(f"/proc/{pid}").exists() for pid in helpers), "the helpers stop with the server"
