"""Authentication of depositors over WebDAV (throttling, password changes) and refused uploads."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Message
from deposits.services import (
    credential_reveal_consume,
    depositor_account_delete,
    depositor_account_regenerate_password,
)
from tests.deposits.webdav.conftest import DavServer, Depositor, deposits

EDT_BYTES = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>limits</EXPORT_EDT>\n'


def _propfind(server: DavServer, depositor: Depositor, **kwargs: object) -> int:
    return server.request(
        "PROPFIND",
        depositor.group_path,
        headers={"Depth": "0"},
        **kwargs,  # type: ignore[arg-type]
    ).status


def _stored_files(root: Path) -> list[Path]:
    """Every file kept in media and in the WebDAV spool (lock storage aside)."""
    return [
        path
        for folder in (root / "media", root / "spool")
        if folder.exists()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith("locks")
    ]


# --- Throttling ----------------------------------------------------------------------------


def test_an_attacker_guessing_a_depositors_login_elsewhere_does_not_stop_its_deposits(
    dav_server: DavServer, depositor_a: Depositor, settings: object
) -> None:
    attempts = settings.LOGIN_THROTTLE_ATTEMPTS  # type: ignore[attr-defined]
    # The last wrong password reaches the login's ceiling.
    settings.LOGIN_THROTTLE_LOGIN_CEILING = 3 * attempts  # type: ignore[attr-defined]
    login, password = depositor_a.auth
    home = "127.0.0.2"
    assert _propfind(dav_server, depositor_a, auth=depositor_a.auth, source=home) == 207
    # Wrong passwords from three other addresses, up to the login's ceiling.
    failures = [
        _propfind(dav_server, depositor_a, auth=(login, "faux"), source=f"127.0.0.{10 + n}")
        for n in range(3)
        for _ in range(attempts)
    ]
    # An address the login never succeeded from now waits, even with the right password.
    new_address = _propfind(dav_server, depositor_a, auth=(login, password), source="127.0.0.99")

    deposits_made = [
        dav_server.request(
            "PUT",
            depositor_a.group_path + f"EDT-{n}.xml",
            auth=depositor_a.auth,
            body=EDT_BYTES,
            source=home,
        ).status
        for n in range(10)
    ]

    assert failures == [401] * 3 * attempts
    assert deposits_made == [201] * 10
    assert new_address == 401


def test_two_accounts_behind_one_address_do_not_block_each_other(
    dav_server: DavServer, depositor_a: Depositor, depositor_b: Depositor, settings: object
) -> None:
    settings.LOGIN_THROTTLE_ADDRESS_CEILING = 12  # type: ignore[attr-defined]
    school = "127.0.0.3"
    assert _propfind(dav_server, depositor_b, auth=depositor_b.auth, source=school) == 207
    attempts = settings.LOGIN_THROTTLE_ATTEMPTS  # type: ignore[attr-defined]
    login_a, password_a = depositor_a.auth

    failures_a = [
        _propfind(dav_server, depositor_a, auth=(login_a, "faux"), source=school)
        for _ in range(attempts)
    ]
    a_blocked_here = _propfind(dav_server, depositor_a, auth=depositor_a.auth, source=school)
    b_after_a = _propfind(dav_server, depositor_b, auth=depositor_b.auth, source=school)
    # Someone behind the same NAT sprays unknown logins past the address ceiling.
    for n in range(12):
        _propfind(dav_server, depositor_a, auth=(f"emp.inconnu.{n}", "faux"), source=school)
    b_after_spray = _propfind(dav_server, depositor_b, auth=depositor_b.auth, source=school)
    a_elsewhere = _propfind(dav_server, depositor_a, auth=(login_a, password_a), source="127.0.0.4")

    assert failures_a == [401] * attempts
    assert a_blocked_here == 401
    assert b_after_a == 207
    assert b_after_spray == 207
    assert a_elsewhere == 207


def test_the_pair_block_ends_with_the_window(
    dav_server: DavServer, depositor_a: Depositor, settings: object
) -> None:
    window = 3
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = window  # type: ignore[attr-defined]
    login, password = depositor_a.auth
    # Windows are fixed slices of time: start at the beginning of one.
    time.sleep(window - time.time() % window)
    for _ in range(settings.LOGIN_THROTTLE_ATTEMPTS):  # type: ignore[attr-defined]
        _propfind(dav_server, depositor_a, auth=(login, "faux"))
    blocked = _propfind(dav_server, depositor_a, auth=(login, password))

    time.sleep(window - time.time() % window + 0.2)

    assert blocked == 401
    assert _propfind(dav_server, depositor_a, auth=(login, password)) == 207


def test_a_blocked_pair_uploads_nothing(dav_server: DavServer, depositor_a: Depositor) -> None:
    login, password = depositor_a.auth
    for _ in range(settings.LOGIN_THROTTLE_ATTEMPTS):
        _propfind(dav_server, depositor_a, auth=(login, "faux"))

    response = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=(login, password), body=EDT_BYTES
    )

    assert response.status == 401
    assert not deposits().exists()


# --- Password changes ----------------------------------------------------------------------


def test_a_regenerated_password_voids_the_old_one_at_once(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    login, old_password = depositor_a.auth
    # The first success puts the credentials in the verified-credentials cache.
    assert _propfind(dav_server, depositor_a, auth=(login, old_password)) == 207
    assert _propfind(dav_server, depositor_a, auth=(login, old_password)) == 207

    depositor_account_regenerate_password(account=depositor_a.account, now=timezone.now())
    user = depositor_a.account.user
    token = Message.objects.filter(recipient=user).latest("pk").link.rsplit("/", 2)[-2]
    new_password = credential_reveal_consume(token=token, user=user, now=timezone.now()).password

    assert _propfind(dav_server, depositor_a, auth=(login, old_password)) == 401
    put = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=(login, old_password), body=EDT_BYTES
    )
    assert put.status == 401
    assert not deposits().exists()
    assert new_password != old_password
    assert _propfind(dav_server, depositor_a, auth=(login, new_password)) == 207


def test_a_deleted_account_is_refused_at_once_and_its_folder_removed(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    assert _propfind(dav_server, depositor_a, auth=depositor_a.auth) == 207

    put = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=EDT_BYTES
    )
    folder = dav_env / "spool" / "accounts" / str(depositor_a.account.pk)
    assert put.status == 201
    assert list(folder.rglob("EDT.xml"))

    depositor_account_delete(account=depositor_a.account)

    assert _propfind(dav_server, depositor_a, auth=depositor_a.auth) == 401
    # Its folder is gone; the import run keeps the deposited bytes.
    assert not folder.exists()
    with deposits().get().file.open("rb") as stored:
        assert stored.read() == EDT_BYTES


# --- Refused uploads: nothing kept ---------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.txt", "EDT.pdf", "emploi-du-temps.xlsx", "EDT"])
def test_a_file_of_another_type_is_refused_and_nothing_is_stored(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path, name: str
) -> None:
    response = dav_server.request(
        "PUT", depositor_a.group_path + name, auth=depositor_a.auth, body=EDT_BYTES
    )

    assert response.status == 415
    assert "xml" in response.body.decode()
    assert not deposits().exists()
    assert _stored_files(dav_env) == []


def test_renaming_a_deposit_to_another_type_is_refused(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    path = depositor_a.group_path + "EDT.xml"
    dav_server.request("PUT", path, auth=depositor_a.auth, body=EDT_BYTES)
    stored_before = _stored_files(dav_env)

    response = dav_server.request(
        "MOVE",
        path,
        auth=depositor_a.auth,
        headers={"Destination": dav_server.url(depositor_a.group_path + "notes.txt")},
    )

    assert response.status == 415
    assert deposits().count() == 1
    assert _stored_files(dav_env) == stored_before
    assert not [f for f in stored_before if f.name.endswith("notes.txt")]


def test_an_oversize_upload_is_refused_and_nothing_is_stored(
    start_dav_server: Callable[..., DavServer], depositor_a: Depositor, dav_env: Path
) -> None:
    server = start_dav_server(max_bytes=4096)
    path = depositor_a.group_path + "EDT.xml"

    declared = server.request("PUT", path, auth=depositor_a.auth, body=b"x" * 4097)
    chunked = server.request(
        "PUT", path, auth=depositor_a.auth, body=iter([b"x" * 3000, b"y" * 3000])
    )
    at_limit = server.request("PUT", path, auth=depositor_a.auth, body=b"<" * 4096)

    assert declared.status == 413
    assert "limite" in declared.body.decode()
    assert chunked.status == 413
    assert at_limit.status == 201
    run = deposits().get()
    assert run.size == 4096
    assert sorted(f.stat().st_size for f in _stored_files(dav_env)) == [4096, 4096]


def test_an_oversize_replacement_keeps_the_previous_deposit_intact(
    start_dav_server: Callable[..., DavServer], depositor_a: Depositor
) -> None:
    server = start_dav_server(max_bytes=4096)
    path = depositor_a.group_path + "EDT.xml"
    server.request("PUT", path, auth=depositor_a.auth, body=EDT_BYTES)

    response = server.request(
        "PUT", path, auth=depositor_a.auth, body=iter([b"x" * 3000, b"y" * 3000])
    )

    assert response.status == 413
    assert server.request("GET", path, auth=depositor_a.auth).body == EDT_BYTES
    assert deposits().count() == 1


def test_lock_timeouts_are_capped(
    dav_server: DavServer, depositor_a: Depositor, settings: object
) -> None:
    settings.ENT_WEBDAV_LOCK_TIMEOUT_MAX = 3600  # type: ignore[attr-defined]
    body = (
        b'<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:">'
        b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
        b"</D:lockinfo>"
    )
    results = []
    for timeout in ("Second-604800", "Infinite", "Second-60"):
        path = f"{depositor_a.group_path}EDT-{len(results)}.xml"
        response = dav_server.request(
            "LOCK",
            path,
            auth=depositor_a.auth,
            body=body,
            headers={"Timeout": timeout, "Content-Type": "text/xml"},
        )
        granted = re.search(r"<D:timeout>Second-(\d+)</D:timeout>", response.body.decode())
        results.append((response.status, int(granted.group(1)) if granted else None))

    # Locking an unmapped URL creates an empty file: 201 (RFC 4918 §9.10.4).
    assert [status for status, _ in results] == [201, 201, 201]
    # The remaining time is reported, so a few seconds may already have passed.
    week, infinite, minute = (granted or 0 for _, granted in results)
    assert 3590 <= week <= 3600
    assert 3590 <= infinite <= 3600
    assert 50 <= minute <= 60
    assert not deposits().exists()
