"""The ``deposit`` profile offers no more than deposits need.

No folders, no dead properties, bounded locks and the empty files they leave, 400 on
invalid paths, ``ALLOWED_HOSTS`` applied, and no version banner.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import time
from pathlib import Path

from django.conf import settings

from tests.deposits.webdav.conftest import DavServer, Depositor, deposits

EDT_BYTES = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>surface</EXPORT_EDT>\n'


def _lock_body(owner: str = "edt") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:">'
        "<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
        f"<D:owner><D:href>{owner}</D:href></D:owner></D:lockinfo>"
    ).encode()


def _lock(server: DavServer, depositor: Depositor, name: str, owner: str = "edt") -> int:
    return server.request(
        "LOCK",
        depositor.group_path + name,
        auth=depositor.auth,
        body=_lock_body(owner),
        headers={"Content-Type": "text/xml", "Timeout": "Second-600"},
    ).status


def _declare_only(
    server: DavServer, method: str, path: str, auth: tuple[str, str], length: int
) -> int:
    """Announce a body and wait for the answer before sending it, as careful clients do."""
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.putrequest(method, path)
        connection.putheader("Authorization", f"Basic {token}")
        connection.putheader("Content-Type", "text/xml")
        connection.putheader("Content-Length", str(length))
        connection.putheader("Expect", "100-continue")
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def _group_folder(dav_env: Path, depositor: Depositor) -> Path:
    account = depositor.account
    return dav_env / "spool" / "accounts" / str(account.pk) / str(account.school_group_id)


def test_no_folder_can_be_created_and_a_folder_named_like_a_file_never_blocks_it(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    group = depositor_a.group_path
    auth = depositor_a.auth

    sub = dav_server.request("MKCOL", group + "sous-dossier/", auth=auth)
    trap = dav_server.request("MKCOL", group + "trap.xml/", auth=auth)
    put = dav_server.request("PUT", group + "trap.xml", auth=auth, body=EDT_BYTES)

    assert sub.status == 403
    assert "sous-dossiers" in sub.body.decode()
    assert trap.status == 403
    assert put.status == 201
    folders = [p.name for p in _group_folder(dav_env, depositor_a).iterdir() if p.is_dir()]
    assert all(name.isdigit() for name in folders), folders


def test_dead_properties_are_refused_and_never_kept(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    group = depositor_a.group_path
    auth = depositor_a.auth
    value = "x" * 1000
    proppatch = (
        '<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" '
        f'xmlns:Z="urn:example:trap"><D:set><D:prop><Z:junk>{value}</Z:junk></D:prop></D:set>'
        "</D:propertyupdate>"
    ).encode()
    huge = proppatch.replace(value.encode(), b"y" * (9 * 1024 * 1024))

    small = dav_server.request("PROPPATCH", group, auth=auth, body=proppatch)
    large = _declare_only(dav_server, "PROPPATCH", group, auth, len(huge))
    listed = dav_server.request(
        "PROPFIND",
        group,
        auth=auth,
        body=b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
        headers={"Depth": "0"},
    )

    assert small.status == 207
    assert re.search(rb"junk.*?403 Forbidden", small.body, re.S)
    assert large == 413
    assert listed.status == 207
    assert b"junk" not in listed.body
    assert len(listed.body) < 4096


def test_locks_on_new_names_are_bounded_and_their_empty_files_cleaned(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path, settings: object
) -> None:
    settings.ENT_WEBDAV_LOCK_TIMEOUT_MAX = 2  # type: ignore[attr-defined]
    folder = _group_folder(dav_env, depositor_a)
    allowed = settings.ENT_WEBDAV_MAX_PLACEHOLDERS  # type: ignore[attr-defined]

    statuses = [_lock(dav_server, depositor_a, f"EDT-{n}.xml") for n in range(30)]
    placeholders = sorted(p.name for p in folder.iterdir() if p.is_file())

    assert statuses == [201] * allowed + [507] * (30 - allowed)
    assert len(placeholders) == allowed

    # Once the locks expire, the next LOCK removes the empty files they left.
    time.sleep(2.5)
    for path in folder.iterdir():
        if path.is_file():
            os.utime(path, (time.time() - 120, time.time() - 120))
    assert _lock(dav_server, depositor_a, "EDT-new.xml") == 201
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["EDT-new.xml"]
    assert not deposits().exists()


def test_an_unlocked_empty_file_disappears_and_a_huge_lock_owner_is_refused(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    path = depositor_a.group_path + "EDT.xml"
    lock = dav_server.request(
        "LOCK",
        path,
        auth=depositor_a.auth,
        body=_lock_body(),
        headers={"Content-Type": "text/xml"},
    )
    token = lock.headers["lock-token"]
    unlock = dav_server.request(
        "UNLOCK", path, auth=depositor_a.auth, headers={"Lock-Token": token}
    )
    big_owner = _lock(
        dav_server,
        depositor_a,
        "EDT2.xml",
        owner="o" * (settings.ENT_WEBDAV_LOCK_OWNER_MAX_BYTES + 1),
    )

    assert (lock.status, unlock.status) == (201, 204)
    assert big_owner == 400
    assert [p for p in _group_folder(dav_env, depositor_a).iterdir() if p.is_file()] == []


def test_invalid_bytes_in_a_path_give_400_for_every_method(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    group = depositor_a.group_path
    auth = depositor_a.auth
    statuses = {
        f"{method} {label}": dav_server.request(method, group + raw, auth=auth).status
        for method in ("GET", "PUT", "PROPFIND", "DELETE", "LOCK", "MKCOL")
        for label, raw in (("NUL", "%00"), ("NUL in name", "EDT%00.xml"), ("not UTF-8", "%FF.xml"))
    }
    moved = dav_server.request(
        "MOVE",
        group + "EDT.xml",
        auth=auth,
        headers={"Destination": dav_server.url(group + "EDT%00.xml")},
    )

    assert set(statuses.values()) == {400}, statuses
    assert moved.status == 400


def test_webdav_applies_allowed_hosts(dav_server: DavServer, depositor_a: Depositor) -> None:
    foreign = dav_server.request(
        "PROPFIND",
        depositor_a.group_path,
        auth=depositor_a.auth,
        headers={"Host": "evil.example", "Depth": "0"},
    )
    own = dav_server.request(
        "PROPFIND", depositor_a.group_path, auth=depositor_a.auth, headers={"Depth": "0"}
    )

    assert foreign.status == 400
    assert "hôte" in foreign.body.decode().lower()
    assert own.status == 207


def test_no_response_names_the_server_software_or_its_version(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    responses = [
        dav_server.request("GET", depositor_a.group_path + "absent.xml", auth=depositor_a.auth),
        dav_server.request("PROPFIND", "/webdav/", auth=("emp.x.y", "faux")),
        dav_server.request("GET", "/comptes/connexion/"),
    ]

    for response in responses:
        seen = (str(response.headers) + response.body.decode(errors="replace")).lower()
        assert not re.search(r"(wsgidav|cheroot|python)/\d", seen), seen
        assert "cheroot" not in seen
        assert response.headers["server"] == "ENT"
