"""A live WebDAV server on 127.0.0.1 for real clients, against the test database.

The server runs cheroot in a thread with the same application ``ent.wsgi`` mounts, so the
test database must be shared with that thread: tests use ``transactional_db``.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cheroot import wsgi
from django.core.handlers.wsgi import WSGIHandler
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Message, User
from deposits.models import DepositorAccount
from deposits.services import credential_reveal_consume, depositor_account_create
from deposits.webdav.app import (
    ServerConnections,
    build_webdav_app,
    mount_webdav,
    webdav_server,
    webdav_server_stop,
)
from ent.models import SchoolGroup
from imports.models import ImportRun
from tests.conftest import Personas
from tests.deposits.conftest import initialise_school_group


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class DavServer:
    host: str
    port: int
    server: wsgi.Server = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/webdav"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (which starts with ``/webdav/``), for ``Destination``."""
        return f"http://{self.host}:{self.port}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: tuple[str, str] | None = None,
        body: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> Response:
        """Send one request; an iterable body goes out with chunked transfer encoding.

        ``source`` picks the client address (any 127.x.y.z works on loopback).
        """
        connection = http.client.HTTPConnection(
            self.host,
            self.port,
            timeout=60,
            source_address=(source, 0) if source else None,
        )
        all_headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            all_headers["Authorization"] = f"Basic {token}"
        try:
            connection.request(
                method,
                path,
                body=body,
                headers=all_headers,
                encode_chunked=body is not None and not isinstance(body, bytes),
            )
            response = connection.getresponse()
            return Response(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()


@dataclass
class Depositor:
    account: DepositorAccount
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.account.login, self.password)

    @property
    def group_path(self) -> str:
        return f"/webdav/{self.account.school_group_id}/"


def make_depositor(school_group: SchoolGroup, user: User) -> Depositor:
    account = depositor_account_create(
        school_group=school_group, user=user, notify=True, created_by=None, now=timezone.now()
    )
    token = Message.objects.filter(recipient=user).latest("pk").link.rsplit("/", 2)[-2]
    password = credential_reveal_consume(token=token, user=user, now=timezone.now()).password
    return Depositor(account, password)


@pytest.fixture
def dav_env(transactional_db: None, settings: object, tmp_path: Path) -> Path:
    """Point media, spool and lock keys at this test only."""
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]
    settings.ENT_WEBDAV_SPOOL_DIR = tmp_path / "spool"  # type: ignore[attr-defined]
    settings.ENT_WEBDAV_LOCK_PREFIX = f"test-webdav-{uuid.uuid4().hex}"  # type: ignore[attr-defined]
    return tmp_path


@pytest.fixture
def start_dav_server(dav_env: Path) -> Iterator[Callable[..., DavServer]]:
    servers: list[tuple[wsgi.Server, ServerConnections]] = []

    def start(*, profile: str = "deposit", max_bytes: int | None = None, threads: int = 16):
        app = mount_webdav(
            WSGIHandler(), webdav_app=build_webdav_app(profile=profile, max_bytes=max_bytes)
        )
        server, connections = webdav_server(app, host="127.0.0.1", port=0, threads=threads)
        server.prepare()
        threading.Thread(target=server.serve, daemon=True).start()
        servers.append((server, connections))
        return DavServer("127.0.0.1", server.bind_addr[1], server)

    yield start
    # Stopping joins the worker threads, then their database connections are closed: the
    # test database can be dropped without "being accessed by other users".
    for server, connections in servers:
        webdav_server_stop(server, connections)


@pytest.fixture
def dav_server(start_dav_server: Callable[..., DavServer]) -> DavServer:
    return start_dav_server()


@pytest.fixture
def ready(personas: Personas, dav_env: Path) -> Personas:
    initialise_school_group(personas.group_a)
    initialise_school_group(personas.group_b)
    return personas


@pytest.fixture
def depositor_a(ready: Personas) -> Depositor:
    return make_depositor(ready.group_a, ready.charlie)


@pytest.fixture
def depositor_b(ready: Personas) -> Depositor:
    return make_depositor(ready.group_b, ready.bob)


def deposits() -> QuerySet[ImportRun]:
    """Import runs made by deposits (the fixtures' manual initialisations excluded)."""
    return ImportRun.objects.filter(mode=ImportRun.Mode.AUTOMATIC)


def require_tool(name: str) -> str:
    """Return the path of an external client; skip without it, fail on CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return path
