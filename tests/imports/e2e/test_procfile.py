"""The Procfile starts the production shape: web processes, WebDAV apart, workers, beat."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.imports.celery_harness import free_port, process_environment

pytestmark = pytest.mark.slow
BASE_DIR = Path(django_settings.BASE_DIR)
BIN = Path(sys.executable).parent
START_TIMEOUT = 120.0


def _status(port: int, method: str, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=b"" if method == "PUT" else None)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def test_the_procfile_starts_web_webdav_two_worker_hosts_and_beat(e2e_env: Path) -> None:
    web_port, dav_port = free_port(), free_port()
    env = process_environment(
        {
            "ENT_VAR_DIR": str(e2e_env / "var"),
            "DJANGO_STATIC_ROOT": str(e2e_env / "static"),
            "WEB_PORT": str(web_port),
            "WEBDAV_PORT": str(dav_port),
            "WEB_PROCESSES": "2",
            "WORKER_HOST_A": "procfile-a",
            "WORKER_HOST_B": "procfile-b",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    log_path = e2e_env / "honcho.log"
    with log_path.open("wb") as log:
        honcho = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-f", "Procfile"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            text = log_path.read_text(errors="replace")
            web = _status(web_port, "GET", "/comptes/connexion/")
            dav = _status(dav_port, "PUT", "/webdav/1/EDT.xml")
            ready = all(f"imports@{host} ready." in text for host in ("procfile-a", "procfile-b"))
            if web == 200 and dav == 401 and ready and "beat: Starting" in text:
                break
            assert honcho.poll() is None, text[-4000:]
            assert time.monotonic() < deadline, f"web={web} webdav={dav}\n{text[-4000:]}"
            time.sleep(0.5)
        # Several web processes: gunicorn's master and its two workers.
        assert text.count("Booting worker with pid") >= 2
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(timeout=30)
