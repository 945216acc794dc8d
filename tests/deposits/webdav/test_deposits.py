from __future__ import annotations

from pathlib import Path

import pytest

from imports.models import ImportRun
from tests.conftest import Personas
from tests.deposits.webdav.conftest import DavServer, Depositor, deposits

EDT_BYTES = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>deposit</EXPORT_EDT>\n'


def test_a_put_in_the_group_folder_becomes_an_import_run_for_every_establishment(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    response = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=EDT_BYTES
    )

    assert response.status == 201
    run = deposits().get()
    assert run.school_group_id == depositor_a.account.school_group_id
    assert run.establishment_id is None
    assert run.mode == ImportRun.Mode.AUTOMATIC
    assert run.status == ImportRun.Status.RECEIVED
    assert run.deposited_by_id == depositor_a.account.user_id
    assert run.original_filename == "EDT.xml"
    with run.file.open("rb") as stored:
        assert stored.read() == EDT_BYTES


def test_a_put_in_an_establishment_folder_targets_that_establishment(
    dav_server: DavServer, depositor_a: Depositor, ready: Personas
) -> None:
    path = f"{depositor_a.group_path}{ready.lycee_a.pk}/UDT.zip"

    response = dav_server.request("PUT", path, auth=depositor_a.auth, body=b"PK\x03\x04zip")

    assert response.status == 201
    assert deposits().get().establishment_id == ready.lycee_a.pk


def test_the_folder_shows_the_recent_deposit(dav_server: DavServer, depositor_a: Depositor) -> None:
    dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=EDT_BYTES
    )

    listing = dav_server.request(
        "PROPFIND", depositor_a.group_path, auth=depositor_a.auth, headers={"Depth": "1"}
    )
    fetched = dav_server.request("GET", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth)

    assert listing.status == 207
    assert b"EDT.xml" in listing.body
    assert fetched.body == EDT_BYTES


def test_the_root_lists_only_the_accounts_school_group(
    dav_server: DavServer, depositor_a: Depositor, ready: Personas
) -> None:
    response = dav_server.request(
        "PROPFIND", "/webdav/", auth=depositor_a.auth, headers={"Depth": "1"}
    )
    group = dav_server.request(
        "PROPFIND", depositor_a.group_path, auth=depositor_a.auth, headers={"Depth": "1"}
    )

    assert response.status == 207
    assert f"/webdav/{ready.group_a.pk}/".encode() in response.body
    assert f"/webdav/{ready.group_b.pk}/".encode() not in response.body
    assert f"/webdav/{ready.group_a.pk}/{ready.college_a.pk}/".encode() in group.body
    assert b"quota-available-bytes" not in group.body


def test_options_advertises_webdav_class_2(dav_server: DavServer, depositor_a: Depositor) -> None:
    response = dav_server.request("OPTIONS", depositor_a.group_path, auth=depositor_a.auth)

    assert response.status == 200
    assert "2" in response.headers["dav"]
    assert "LOCK" in response.headers["allow"]


def test_a_file_of_another_type_is_refused_and_not_kept(
    dav_server: DavServer, depositor_a: Depositor, dav_env: Path
) -> None:
    response = dav_server.request(
        "PUT", depositor_a.group_path + "notes.txt", auth=depositor_a.auth, body=b"hello"
    )

    assert response.status == 415
    assert not deposits().exists()
    assert not list((dav_env / "spool").rglob("notes.txt"))


def test_an_oversize_upload_is_refused_before_its_body(
    start_dav_server: object, depositor_a: Depositor, dav_env: Path
) -> None:
    server = start_dav_server(max_bytes=1000)  # type: ignore[operator]

    response = server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=b"x" * 1001
    )

    assert response.status == 413
    assert not deposits().exists()
    assert not list((dav_env / "spool").rglob("EDT.xml"))
    assert not list((dav_env / "spool" / "tmp").iterdir())


def test_an_oversize_chunked_upload_is_cut_off_and_not_kept(
    start_dav_server: object, depositor_a: Depositor, dav_env: Path
) -> None:
    server = start_dav_server(max_bytes=1000)  # type: ignore[operator]

    response = server.request(
        "PUT",
        depositor_a.group_path + "EDT.xml",
        auth=depositor_a.auth,
        body=iter([b"x" * 600, b"y" * 600]),
    )

    assert response.status == 413
    assert not deposits().exists()
    assert not list((dav_env / "spool").rglob("EDT.xml"))
    assert not list((dav_env / "spool" / "tmp").iterdir())


def test_an_empty_put_creates_no_import_run(dav_server: DavServer, depositor_a: Depositor) -> None:
    response = dav_server.request(
        "PUT", depositor_a.group_path + "EDT.xml", auth=depositor_a.auth, body=b""
    )

    assert response.status == 201
    assert not deposits().exists()


def test_the_windows_redirector_sequence_makes_exactly_one_deposit(
    dav_server: DavServer, depositor_a: Depositor
) -> None:
    path = depositor_a.group_path + "EDT.xml"
    auth = depositor_a.auth
    lock_body = (
        b'<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:">'
        b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
        b"<D:owner><D:href>WIN\\edt</D:href></D:owner></D:lockinfo>"
    )
    proppatch_body = (
        b'<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" '
        b'xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>'
        b"<Z:Win32CreationTime>Mon, 02 Nov 2026 10:00:00 GMT</Z:Win32CreationTime>"
        b"<Z:Win32LastModifiedTime>Mon, 02 Nov 2026 10:00:00 GMT</Z:Win32LastModifiedTime>"
        b"<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>"
        b"</D:prop></D:set></D:propertyupdate>"
    )
    agent = {"User-Agent": "Microsoft-WebDAV-MiniRedir/10.0.19045"}

    missing = dav_server.request("PROPFIND", path, auth=auth, headers={**agent, "Depth": "0"})
    empty = dav_server.request("PUT", path, auth=auth, body=b"", headers=agent)
    lock = dav_server.request(
        "LOCK",
        path,
        auth=auth,
        body=lock_body,
        headers={**agent, "Timeout": "Second-3600", "Content-Type": "text/xml"},
    )
    token = lock.headers["lock-token"].strip("<>")
    patched = dav_server.request(
        "PROPPATCH", path, auth=auth, body=proppatch_body, headers={**agent, "If": f"(<{token}>)"}
    )
    head = dav_server.request("HEAD", path, auth=auth, headers=agent)
    without_token = dav_server.request("PUT", path, auth=auth, body=EDT_BYTES, headers=agent)
    with_token = dav_server.request(
        "PUT", path, auth=auth, body=EDT_BYTES, headers={**agent, "If": f"(<{token}>)"}
    )
    unlock = dav_server.request(
        "UNLOCK", path, auth=auth, headers={**agent, "Lock-Token": f"<{token}>"}
    )

    assert [missing.status, empty.status, lock.status, patched.status, head.status] == [
        404,
        201,
        200,
        207,
        200,
    ]
    assert without_token.status == 423
    assert with_token.status == 204
    assert unlock.status == 204
    run = deposits().get()
    assert run.size == len(EDT_BYTES)


def test_a_malformed_basic_header_gets_401_not_500(dav_server: DavServer, ready: Personas) -> None:
    response = dav_server.request(
        "PROPFIND", "/webdav/", headers={"Authorization": "Basic %%%not-base64", "Depth": "0"}
    )

    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Basic ")


def test_the_django_site_is_still_served_beside_webdav(dav_server: DavServer) -> None:
    response = dav_server.request("GET", "/comptes/connexion/")

    assert response.status == 200
    assert "Connexion à l'ENT" in response.body.decode()


@pytest.mark.parametrize("method", ["PROPFIND", "PUT"])
def test_anonymous_requests_are_challenged(
    dav_server: DavServer, ready: Personas, method: str
) -> None:
    response = dav_server.request(method, f"/webdav/{ready.group_a.pk}/EDT.xml", body=b"x")

    assert response.status == 401
    assert not deposits().exists()
