"""Deposits survive what real clients do: chunked bodies, cut connections, odd file names.

Requests go out over raw sockets, byte for byte as Windows, rclone or a dropped line send them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import stat
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest

from imports.models import ImportRun
from tests.deposits.webdav.conftest import DavServer, Depositor, deposits

EDT_BYTES = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>durable</EXPORT_EDT>\n'
SETTLE_SECONDS = 10


def _raw_request(server: DavServer, head: bytes, *body_parts: bytes, cut: bool = False) -> bytes:
    """Send ``head`` then ``body_parts`` on one socket; return the response, or b"" when cut."""
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        if cut:
            # A line dropped mid-body: the client is gone, reset without a proper end.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            return b""
        response = b""
        while chunk := sock.recv(65536):  # "Connection: close": read to the end
            response += chunk
        return response


def _head(method: str, path: bytes, depositor: Depositor, *headers: str) -> bytes:
    token = base64.b64encode(":".join(depositor.auth).encode()).decode()
    lines = [
        "Host: 127.0.0.1",
        f"Authorization: Basic {token}",
        "Connection: close",
        *headers,
    ]
    return (
        method.encode() + b" " + path + b" HTTP/1.1\r\n" + "\r\n".join(lines).encode() + b"\r\n\r\n"
    )


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _chunked(*parts: bytes) -> list[bytes]:
    return [b"%x\r\n%s\r\n" % (len(part), part) for part in parts] + [b"0\r\n\r\n"]


def _kept_files(dav_env: Path) -> list[Path]:
    """Every file under the spool and media folders (the account folders are directories)."""
    return [p for p in dav_env.rglob("*") if p.is_file() and "spool/locks" not in str(p)]


def _wait_for_server_to_settle(dav_env: Path) -> None:
    """Wait until nothing is kept for a whole second (the server notices the cut on its next
    read), or give up after a while and let the assertions say what was left."""
    deadline = time.monotonic() + SETTLE_SECONDS
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if _kept_files(dav_env) or deposits().exists():
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 1:
            return
        time.sleep(0.05)


def test_a_chunked_put_without_content_length_is_deposited_whole(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    path = (depositor_a.group_path + "EDT.xml").encode()
    head = _head("PUT", path, depositor_a, "Transfer-Encoding: chunked")

    response = _raw_request(dav_server, head, *_chunked(EDT_BYTES[:20], EDT_BYTES[20:]))

    assert _status(response) == 201, response
    assert b"content-length" not in head.lower()
    run = deposits().get()
    with run.file.open("rb") as stored:
        assert stored.read() == EDT_BYTES


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_upload_cut_mid_body_leaves_no_file_and_no_run(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path, framing: str
) -> None:
    path = (depositor_a.group_path + "EDT.xml").encode()
    if framing == "chunked":
        head = _head("PUT", path, depositor_a, "Transfer-Encoding: chunked")
        parts = [b"%x\r\n%s" % (100_000, b"x" * 40_000)]
    else:
        head = _head("PUT", path, depositor_a, "Content-Length: 100000")
        parts = [b"x" * 40_000]

    _raw_request(dav_server, head, *parts, cut=True)
    _wait_for_server_to_settle(dav_env)
    listing = dav_server.request(
        "PROPFIND", depositor_a.group_path, auth=depositor_a.auth, headers={"Depth": "1"}
    )

    assert not deposits().exists()
    assert _kept_files(dav_env) == []
    assert listing.status == 207
    assert b"EDT.xml" not in listing.body


@pytest.mark.parametrize(
    "name",
    ["Emploi du temps été.xml", unicodedata.normalize("NFD", "Emploi du temps été.xml")],
    ids=["nfc", "nfd"],
)
def test_a_name_with_accents_and_spaces_is_kept_in_its_composed_form(
    dav_server: DavServer, depositor_a: Depositor, name: str
) -> None:
    path = (depositor_a.group_path + quote(name)).encode()

    response = _raw_request(
        dav_server,
        _head("PUT", path, depositor_a, f"Content-Length: {len(EDT_BYTES)}"),
        EDT_BYTES,
    )
    fetched = dav_server.request("GET", depositor_a.group_path + quote(name), auth=depositor_a.auth)

    assert _status(response) == 201, response
    run = deposits().get()
    assert run.original_filename == "Emploi du temps été.xml"
    assert unicodedata.is_normalized("NFC", run.original_filename)
    with run.file.open("rb") as stored:
        assert stored.read() == EDT_BYTES
    assert fetched.status == 200
    assert fetched.body == EDT_BYTES


def test_a_name_that_is_not_utf8_is_refused_with_a_french_reason(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    path = depositor_a.group_path.encode() + b"EDT-%E9t%E9.xml"  # Latin-1 "été"

    response = _raw_request(
        dav_server,
        _head("PUT", path, depositor_a, f"Content-Length: {len(EDT_BYTES)}"),
        EDT_BYTES,
    )

    assert _status(response) == 400, response
    assert "UTF-8" in response.decode("utf-8", "replace")
    assert "nom du fichier" in response.decode("utf-8", "replace")
    assert not deposits().exists()
    assert _kept_files(dav_env) == []


def test_the_stored_copy_is_on_disk_before_the_run_is_committed(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = dav_env / "media"
    synced: list[tuple[str, bytes, bool]] = []
    real_fsync = os.fsync

    def watching_fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        if path.startswith(str(media)) and os.path.isfile(path):
            committed = ImportRun.objects.filter(mode=ImportRun.Mode.AUTOMATIC).exists()
            synced.append((path, Path(path).read_bytes(), committed))

    monkeypatch.setattr(os, "fsync", watching_fsync)

    response = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=EDT_BYTES
    )

    assert response.status == 201
    run = deposits().get()
    assert synced == [(str(media / run.file.name), EDT_BYTES, False)]


def test_a_deposit_is_hashed_as_it_arrives_and_stored_without_a_second_copy(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    response = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=EDT_BYTES
    )

    assert response.status == 201
    run = deposits().get()
    stored = dav_env / "media" / run.file.name
    assert stored.read_bytes() == EDT_BYTES
    assert (run.sha256, run.size) == (hashlib.sha256(EDT_BYTES).hexdigest(), len(EDT_BYTES))
    # The spooled body was linked into the storage, not copied, and no link is left over.
    assert stored.stat().st_nlink == 2
    assert stat.S_IMODE(stored.stat().st_mode) == 0o640
    assert not list((dav_env / "spool").rglob(".*.store"))


def test_overwriting_a_deposit_by_webdav_never_changes_the_file_of_the_earlier_run(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    second = EDT_BYTES.replace(b"</", b"<!-- v2 --></", 1)
    for body in (EDT_BYTES, second):
        response = dav_server.request(
            "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=body
        )
        assert response.status in (201, 204)

    first_run, second_run = deposits().order_by("pk")
    assert (dav_env / "media" / first_run.file.name).read_bytes() == EDT_BYTES
    assert (dav_env / "media" / second_run.file.name).read_bytes() == second
    assert (
        dav_server.request("GET", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth).body
        == second
    )
