"""``manage.py serve_webdav`` runs the deposit server alone, as its own process."""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings as django_settings
from django.db import connection

from deposits.webdav.app import not_found_app, webdav_server, webdav_server_stop
from tests.conftest import Personas
from tests.deposits.webdav.conftest import DavServer, deposits, make_depositor

BASE_DIR = Path(django_settings.BASE_DIR)
EDT_BYTES = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>alone</EXPORT_EDT>\n'
LIMIT = 2048
START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """The URL of the test database, which the server process must use too."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _wait_ready(process: subprocess.Popen[str]) -> str:
    """Read the output up to the ready line; a watchdog kills a server that never gets there.

    (``select()`` on the pipe would miss a line already in the reader's buffer.)
    """
    assert process.stdout is not None
    watchdog = threading.Timer(START_TIMEOUT, process.kill)
    watchdog.start()
    try:
        seen = ""
        while "WebDAV prêt" not in seen:
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"serve_webdav did not start:\n{seen}")
            seen += line
        return seen
    finally:
        watchdog.cancel()


def test_serve_webdav_serves_deposits_alone_and_stops_on_sigterm(
    ready: Personas, dav_env: Path, production_hashers: None
) -> None:
    depositor = make_depositor(ready.group_a, ready.charlie)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "ENT_WEBDAV_SPOOL_DIR": str(dav_env / "spool"),
        "DJANGO_MEDIA_ROOT": str(dav_env / "media"),
        "ENT_MAX_DEPOSIT_BYTES": str(LIMIT),
        "ENT_WEBDAV_LOCK_PREFIX": django_settings.ENT_WEBDAV_LOCK_PREFIX,
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve_webdav", "--port", str(port), "--threads", "4"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(process)
        server = DavServer("127.0.0.1", port, server=None)  # type: ignore[arg-type]
        put = server.request(
            "PUT", depositor.group_path + "EDT.xml", auth=depositor.auth, body=EDT_BYTES
        )
        outside = server.request("GET", "/comptes/connexion/")
        oversize = _put_declared_oversize(port, depositor.group_path, depositor.auth)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)

    assert put.status == 201, output
    assert outside.status == 404
    # Beyond the limit plus headroom, cheroot answers before any byte of the body is sent.
    assert oversize == 413
    assert process.returncode == 0, output
    run = deposits().get()
    assert run.deposited_by_id == depositor.account.user_id
    with run.file.open("rb") as stored:
        assert stored.read() == EDT_BYTES


def _put_declared_oversize(port: int, path: str, auth: tuple[str, str]) -> int:
    """Announce a huge body and send none of it: the answer must come anyway."""
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("PUT", path + "BIG.xml")
        connection.putheader("Authorization", f"Basic {token}")
        connection.putheader("Content-Length", str(100 * 1024 * 1024))
        connection.putheader("Expect", "100-continue")
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_stop_whose_threads_never_end_returns_within_its_time_limit() -> None:
    server, connections = webdav_server(not_found_app, host="127.0.0.1", port=0, threads=2)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    pool_stop = server.requests.stop
    release = threading.Event()
    # What cheroot's pool does when a worker misses its stop request: wait without a limit.
    server.requests.stop = lambda timeout=None: release.wait()
    started = time.monotonic()

    stopped = webdav_server_stop(server, connections, seconds=0.5)

    waited = time.monotonic() - started
    release.set()
    pool_stop()
    assert stopped is False
    assert waited < 5


def test_a_stop_of_a_healthy_server_joins_its_threads_and_says_so() -> None:
    server, connections = webdav_server(not_found_app, host="127.0.0.1", port=0, threads=2)
    before = set(threading.enumerate())
    server.prepare()
    serving = threading.Thread(target=server.serve, daemon=True)
    serving.start()
    workers = [t for t in set(threading.enumerate()) - before if t.name.startswith("CP Server")]

    stopped = webdav_server_stop(server, connections)

    serving.join(5)
    assert stopped is True
    assert workers and not any(t.is_alive() for t in workers)
