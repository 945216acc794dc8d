"""Locks are read for a URL and its parents at once, with WsgiDAV's own rules."""

from __future__ import annotations

import base64
import http.client
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from wsgidav.lock_man.lock_manager import LockManager

from deposits.webdav.locks import CappedLockStorageRedis, DepositLockManager
from tests.deposits.webdav.conftest import DavServer, Depositor, Response, deposits

EDT_BYTES = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>verrou</EXPORT_EDT>\n'
LOCK_BODY = (
    b'<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:">'
    b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
    b"<D:owner><D:href>EDT</D:href></D:owner></D:lockinfo>"
)


def _lock(server: DavServer, depositor: Depositor, path: str) -> Response:
    return server.request(
        "LOCK",
        path,
        auth=depositor.auth,
        body=LOCK_BODY,
        headers={"Content-Type": "text/xml", "Timeout": "Second-600"},
    )


def test_a_locked_deposit_refuses_a_put_without_its_token_and_takes_the_owners(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    path = depositor_a.group_path + "EDT.xml"
    locked = _lock(dav_server, depositor_a, path)
    token = locked.headers["lock-token"].strip("<>")

    without = dav_server.request("PUT", path, auth=depositor_a.auth, body=EDT_BYTES)
    with_token = dav_server.request(
        "PUT", path, auth=depositor_a.auth, body=EDT_BYTES, headers={"If": f"(<{token}>)"}
    )

    assert locked.status == 201
    assert without.status == 423
    assert with_token.status in (201, 204)
    assert deposits().count() == 1


@pytest.fixture
def redis_storage() -> Iterator[CappedLockStorageRedis]:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL): the batched read is Redis's")
    storage = CappedLockStorageRedis(url=settings.REDIS_URL, prefix=f"test-{uuid.uuid4().hex}")
    storage.open()
    yield storage
    storage.clear()
    storage.close()


@pytest.mark.parametrize(
    ("url", "principal", "own_tokens"),
    [
        ("/webdav/accounts/1/7/EDT.xml", "emp.a", False),
        ("/webdav/accounts/1/7/EDT.xml", "emp.a", True),
        ("/webdav/accounts/1/7/EDT.xml", "emp.b", False),
        ("/webdav/accounts/1/7/40/UDT.zip", "emp.b", True),
        ("/webdav/accounts/1/7/", "emp.c", False),
        ("/webdav/accounts/2/9/EDT.xml", "emp.a", False),
    ],
)
def test_write_conflicts_are_those_wsgidav_finds(
    redis_storage: CappedLockStorageRedis, url: str, principal: str, own_tokens: bool
) -> None:
    plain = LockManager(redis_storage)
    tokens = [
        plain.acquire(
            url=lock_url,
            lock_type="write",
            lock_scope="exclusive",
            lock_depth=depth,
            lock_owner=b"<D:owner>EDT</D:owner>",
            timeout=600,
            principal=owner,
            token_list=[],
        )["token"]
        for lock_url, depth, owner in (
            ("/webdav/accounts/1/7/40/", "infinity", "emp.b"),
            ("/webdav/accounts/1/7/EDT.xml", "0", "emp.a"),
            ("/webdav/accounts/1/", "0", "emp.c"),
        )
    ]
    token_list = tokens if own_tokens else []
    batched = DepositLockManager(redis_storage)

    found = batched._get_write_conflicts(url, "0", token_list, principal)

    expected = plain._get_write_conflicts(url, "0", token_list, principal)
    assert sorted(found.hrefs) == sorted(expected.hrefs)


def test_no_lock_is_granted_on_a_file_while_its_upload_is_under_way(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    path = depositor_a.group_path + "EDT.xml"
    half = len(EDT_BYTES) // 2
    first_half_sent, may_finish = threading.Event(), threading.Event()

    def body() -> Iterator[bytes]:
        yield EDT_BYTES[:half]
        first_half_sent.set()
        may_finish.wait(timeout=30)
        yield EDT_BYTES[half:]

    def upload() -> int:
        token = base64.b64encode(":".join(depositor_a.auth).encode()).decode()
        connection = http.client.HTTPConnection(dav_server.host, dav_server.port, timeout=60)
        try:
            connection.request(
                "PUT",
                path,
                body=body(),
                headers={
                    "Authorization": f"Basic {token}",
                    "Content-Length": str(len(EDT_BYTES)),
                },
            )
            return connection.getresponse().status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        uploading = pool.submit(upload)
        assert first_half_sent.wait(timeout=30)
        time.sleep(0.5)  # the server is now reading the body
        during = _lock(dav_server, depositor_a, path)
        may_finish.set()
        put_status = uploading.result(timeout=60)

    assert during.status == 423
    assert put_status in (201, 204)
    assert deposits().count() == 1
