"""Hostile bodies against the servers the product starts, measured from outside the process.

Both shapes run as their own process: the embedded web server (Django and /webdav, as
``run_embedded`` builds it) and ``serve_webdav``. Raw sockets send what an attacker would: a
4 GB ``Content-Length`` with a wrong password, an anonymous 2 GB POST, a body streamed
without waiting for an answer, a chunked body past the limit. The process's peak memory
(``VmHWM``) must stay within a few MB of its value before.
"""

from __future__ import annotations

import base64
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from deposits.hashers import DepositorPasswordHasher
from tests.conftest import Personas
from tests.deposits.webdav.conftest import deposits, make_depositor
from tests.deposits.webdav.test_serve_webdav import _database_url, _free_port

BASE_DIR = Path(django_settings.BASE_DIR)
MIB = 1024 * 1024
DEPOSIT_LIMIT = 64 * MIB
# Peak memory growth tolerated while one hostile request is served.
RSS_TOLERANCE_KIB = 8 * 1024
# A password check holds its Argon2 memory (7 MiB) while it runs, far below a body.
PASSWORD_CHECK_KIB = DepositorPasswordHasher.memory_cost
START_TIMEOUT = 180

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs /proc to measure process memory"
)


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    port: int

    def peak_kib(self) -> int:
        """The process's peak resident memory so far (``VmHWM``), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc status")

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return sock


def _wait_ready(process: subprocess.Popen[str]) -> None:
    """Wait for the ready line, reading the output in a thread.

    ``select()`` on the pipe would miss lines already in the reader's buffer (two lines
    written at once), and wait for nothing.
    """
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    seen = ""
    deadline = time.monotonic() + START_TIMEOUT
    while "prêt" not in seen:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
        except queue.Empty:
            raise AssertionError(f"the server did not start:\n{seen}") from None
        if not line:
            raise AssertionError(f"the server exited:\n{seen}")
        seen += line


@dataclass
class ServerDatabase:
    """The database the server process uses: the tests' own, or a file of its own."""

    url: str
    sqlite_file: Path | None

    @property
    def shared(self) -> bool:
        return self.sqlite_file is None


@pytest.fixture(scope="module")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> ServerDatabase:
    """PostgreSQL: the test database. SQLite (in memory for the tests): a migrated file."""
    if connection.vendor != "sqlite":
        return ServerDatabase(_database_url(), None)
    path = tmp_path_factory.mktemp("server-db") / "server.sqlite3"
    url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        timeout=600,
    )
    return ServerDatabase(url, path)


@dataclass
class ServerDepositor:
    group_path: str
    auth: tuple[str, str]


def _server_depositor(database: ServerDatabase, ready: Personas) -> ServerDepositor:
    """A depositor account the server process knows."""
    if database.shared:
        depositor = make_depositor(ready.group_a, ready.charlie)
        return ServerDepositor(depositor.group_path, depositor.auth)
    result = subprocess.run(
        [sys.executable, "-m", "tests.ent.embedded_web_server", "--seed-depositor"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": database.url},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    group_id, login, password = result.stdout.split()
    return ServerDepositor(f"/webdav/{group_id}/", (login, password))


def _server_deposit_count(database: ServerDatabase) -> int:
    if database.shared:
        return deposits().count()
    with sqlite3.connect(str(database.sqlite_file)) as db:
        return db.execute(
            "SELECT count(*) FROM imports_importrun WHERE mode = 'AUTOMATIC'"
        ).fetchone()[0]


@pytest.fixture
def start_server(
    dav_env: Path, production_hashers: None, server_database: ServerDatabase
) -> Iterator[Callable[[str], ServerProcess]]:
    started: list[subprocess.Popen[str]] = []

    def start(shape: str) -> ServerProcess:
        port = _free_port()
        command = (
            [sys.executable, "-m", "tests.ent.embedded_web_server", str(port)]
            if shape == "embedded"
            else [sys.executable, "manage.py", "serve_webdav", "--port", str(port)]
        )
        env = {
            **os.environ,
            "DATABASE_URL": server_database.url,
            "ENT_WEBDAV_SPOOL_DIR": str(dav_env / "spool"),
            "DJANGO_MEDIA_ROOT": str(dav_env / "media"),
            "ENT_MAX_DEPOSIT_BYTES": str(DEPOSIT_LIMIT),
            "ENT_WEBDAV_LOCK_PREFIX": django_settings.ENT_WEBDAV_LOCK_PREFIX,
            "PYTHONUNBUFFERED": "1",
        }
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        _wait_ready(process)
        server = ServerProcess(process, port)
        _warm_up(server)
        return server

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Answer:
    statuses: list[int]
    body: bytes
    closed: bool

    @property
    def final(self) -> int:
        return self.statuses[-1]


def _read_answer(sock: socket.socket) -> Answer:
    """Read interim and final status lines, the final body, and whether the server closed."""
    data = b""
    statuses: list[int] = []
    while True:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed before an answer: {data!r}")
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        statuses.append(status)
        if status >= 200:
            break
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(data) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    body, rest = data[:length], data[length:]
    closed = False
    sock.settimeout(5)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            rest += chunk
    except (TimeoutError, ConnectionResetError):
        closed = not rest
    return Answer(statuses, body, closed)


def _stream(
    sock: socket.socket, total: int, *, chunked_size: int | None = None
) -> threading.Thread:
    """Send ``total`` body bytes in the background, as a client that does not wait would."""

    def send() -> None:
        piece = b"x" * MIB
        try:
            if chunked_size is not None:
                sock.sendall(f"{chunked_size:x}\r\n".encode())
            sent = 0
            while sent < total:
                sock.sendall(piece)
                sent += len(piece)
        except OSError:
            pass  # The server answered and closed: exactly what it should do.

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _warm_up(server: ServerProcess) -> None:
    """Load Django, WsgiDAV and the database connection before measuring."""
    for request in (
        _head("GET", "/comptes/connexion/", {}),
        _head("PROPFIND", "/webdav/", {"Authorization": _basic("nobody", "x"), "Depth": "0"}),
    ):
        with server.connect() as sock:
            sock.sendall(request)
            _read_answer(sock)
    time.sleep(0.5)


def _ordinary_put(server: ServerProcess, depositor: ServerDepositor) -> int:
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>ok</EXPORT_EDT>\n'
    with server.connect() as sock:
        sock.sendall(
            _head(
                "PUT",
                depositor.group_path + "EDT.xml",
                {
                    "Authorization": _basic(*depositor.auth),
                    "Content-Length": str(len(body)),
                    "Connection": "close",
                },
            )
            + body
        )
        return _read_answer(sock).final


SHAPES = ["embedded", "serve_webdav"]


def _wrong_password_put(server: ServerProcess, group_id: int, length: int, **extra: str) -> Answer:
    with server.connect() as sock:
        sock.sendall(
            _head(
                "PUT",
                f"/webdav/{group_id}/exp.xml",
                {
                    "Authorization": _basic("emp.charlie.nobody", "mauvais"),
                    "Content-Length": str(length),
                    **extra,
                },
            )
        )
        if "Expect" in extra:
            return _read_answer(sock)
        sender = _stream(sock, length)
        answer = _read_answer(sock)
        sender.join(timeout=30)
        return answer


@pytest.mark.parametrize("shape", SHAPES)
def test_wrong_password_puts_are_answered_without_reading_their_bodies(
    start_server: Callable[[str], ServerProcess], ready: Personas, shape: str
) -> None:
    server = start_server(shape)
    group_id = ready.group_a.pk
    before = server.peak_kib()

    huge = _wrong_password_put(server, group_id, 4_000_000_000, Expect="100-continue")
    waiting = _wrong_password_put(server, group_id, DEPOSIT_LIMIT - MIB, Expect="100-continue")
    streamed = _wrong_password_put(server, group_id, DEPOSIT_LIMIT - MIB)

    # 4 GB: refused in French before any byte is sent, and the connection ends.
    assert huge.statuses == [413]
    assert "dépasse" in huge.body.decode()
    assert huge.closed
    # Within the limit: no "100 Continue" before the password is checked, so the client
    # never sends its body; the connection ends rather than wait for it.
    assert waiting.statuses == [401]
    assert waiting.closed
    # A client sending without waiting: answered, its body left unread.
    assert streamed.final == 401
    assert server.peak_kib() - before < RSS_TOLERANCE_KIB + PASSWORD_CHECK_KIB


def test_anonymous_posts_over_the_limits_are_refused_before_any_byte_is_sent(
    start_server: Callable[[str], ServerProcess], ready: Personas
) -> None:
    server = start_server("embedded")
    before = server.peak_kib()
    answers = {}
    for path, length in (
        ("/", 2 * 1024 * MIB),
        ("/comptes/connexion/", django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    ):
        with server.connect() as sock:
            sock.sendall(
                _head(
                    "POST",
                    path,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Content-Length": str(length),
                        "Expect": "100-continue",
                    },
                )
            )
            answers[path] = _read_answer(sock)

    assert answers["/"].statuses == [413]
    assert "dépasse" in answers["/"].body.decode()
    # The site's forms have a small limit of their own, checked before Django reads.
    assert answers["/comptes/connexion/"].statuses == [413]
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert f"limite de {limit} octets" in answers["/comptes/connexion/"].body.decode()
    assert server.peak_kib() - before < RSS_TOLERANCE_KIB


@pytest.mark.parametrize("shape", SHAPES)
def test_a_chunked_deposit_over_the_limit_gets_413_and_stays_out_of_memory(
    start_server: Callable[[str], ServerProcess],
    ready: Personas,
    server_database: ServerDatabase,
    shape: str,
) -> None:
    depositor = _server_depositor(server_database, ready)
    server = start_server(shape)
    deposits_before = _server_deposit_count(server_database)
    before = server.peak_kib()

    with server.connect() as sock:
        sock.sendall(
            _head(
                "PUT",
                depositor.group_path + "BIG.xml",
                {"Authorization": _basic(*depositor.auth), "Transfer-Encoding": "chunked"},
            )
        )
        # One chunk announcing more than the limit: it must not be read whole.
        sender = _stream(sock, DEPOSIT_LIMIT + 4 * MIB, chunked_size=DEPOSIT_LIMIT + 32 * MIB)
        answer = _read_answer(sock)
        sender.join(timeout=30)

    assert answer.final == 413
    assert "limite" in answer.body.decode()
    assert server.peak_kib() - before < RSS_TOLERANCE_KIB + PASSWORD_CHECK_KIB
    assert _server_deposit_count(server_database) == deposits_before
    if server_database.shared:
        # The account still deposits normally afterwards.
        assert _ordinary_put(server, depositor) == 201
        assert _server_deposit_count(server_database) == deposits_before + 1
