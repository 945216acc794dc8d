"""Each depositor account reaches only its own tree: no other school group, no other account."""

from __future__ import annotations

from tests.conftest import Personas
from tests.deposits.webdav.conftest import DavServer, Depositor, deposits, make_depositor

EDT_A = b'<?xml version="1.0"?>\n<EXPORT_EDT>A</EXPORT_EDT>\n'
EDT_B = b'<?xml version="1.0"?>\n<EXPORT_EDT>B</EXPORT_EDT>\n'
LOCK_BODY = (
    b'<?xml version="1.0" encoding="utf-8" ?><D:lockinfo xmlns:D="DAV:">'
    b"<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
    b"<D:owner><D:href>edt</D:href></D:owner></D:lockinfo>"
)


def test_an_account_cannot_list_read_or_write_another_school_group(
    dav_server: DavServer, depositor_a: Depositor, depositor_b: Depositor, ready: Personas
) -> None:
    b_group = depositor_b.group_path
    b_file = b_group + "EDT.xml"
    assert dav_server.request("PUT", b_file, auth=depositor_b.auth, body=EDT_B).status == 201
    a_file = depositor_a.group_path + "EDT.xml"
    assert dav_server.request("PUT", a_file, auth=depositor_a.auth, body=EDT_A).status == 201
    a = depositor_a.auth

    statuses = {
        "PROPFIND group": dav_server.request(
            "PROPFIND", b_group, auth=a, headers={"Depth": "1"}
        ).status,
        "PROPFIND file": dav_server.request(
            "PROPFIND", b_file, auth=a, headers={"Depth": "0"}
        ).status,
        "GET": dav_server.request("GET", b_file, auth=a).status,
        "HEAD": dav_server.request("HEAD", b_file, auth=a).status,
        "PUT": dav_server.request("PUT", b_file, auth=a, body=EDT_A).status,
        "PUT establishment": dav_server.request(
            "PUT", f"{b_group}{ready.college_b.pk}/EDT.xml", auth=a, body=EDT_A
        ).status,
        "PUT B establishment under A": dav_server.request(
            "PUT", f"{depositor_a.group_path}{ready.college_b.pk}/EDT.xml", auth=a, body=EDT_A
        ).status,
        "DELETE": dav_server.request("DELETE", b_file, auth=a).status,
        "MKCOL": dav_server.request("MKCOL", b_group + "sub/", auth=a).status,
        "LOCK": dav_server.request(
            "LOCK", b_file, auth=a, body=LOCK_BODY, headers={"Content-Type": "text/xml"}
        ).status,
        "PROPPATCH": dav_server.request("PROPPATCH", b_file, auth=a, body=b"").status,
        "MOVE into B": dav_server.request(
            "MOVE",
            a_file,
            auth=a,
            headers={"Destination": f"{dav_server.base_url}/{ready.group_b.pk}/EDT.xml"},
        ).status,
        "COPY into B": dav_server.request(
            "COPY",
            a_file,
            auth=a,
            headers={"Destination": f"{dav_server.base_url}/{ready.group_b.pk}/EDT.xml"},
        ).status,
        "MOVE out of B": dav_server.request(
            "MOVE",
            b_file,
            auth=a,
            headers={"Destination": dav_server.url(depositor_a.group_path + "B.xml")},
        ).status,
    }
    root = dav_server.request("PROPFIND", "/webdav/", auth=a, headers={"Depth": "infinity"})

    assert statuses == {
        "PROPFIND group": 404,
        "PROPFIND file": 404,
        "GET": 404,
        "HEAD": 404,
        "PUT": 403,
        "PUT establishment": 403,
        "PUT B establishment under A": 403,
        "DELETE": 403,
        "MKCOL": 403,
        "LOCK": 403,
        "PROPPATCH": 403,
        "MOVE into B": 403,
        "COPY into B": 403,
        "MOVE out of B": 403,
    }
    assert root.status == 207
    assert f"/webdav/{ready.group_b.pk}/".encode() not in root.body
    assert dav_server.request("GET", b_file, auth=depositor_b.auth).body == EDT_B
    assert dav_server.request("GET", a_file, auth=a).body == EDT_A
    group_b_runs = deposits().filter(school_group=ready.group_b)
    assert [run.deposited_by_id for run in group_b_runs] == [depositor_b.account.user_id]
    assert deposits().filter(school_group=ready.group_a).count() == 1


def test_two_accounts_of_one_school_group_do_not_see_each_others_files(
    dav_server: DavServer, depositor_a: Depositor, ready: Personas
) -> None:
    other = make_depositor(ready.group_a, ready.alice)
    path = f"{depositor_a.group_path}{ready.college_a.pk}/EDT.xml"
    assert dav_server.request("PUT", path, auth=depositor_a.auth, body=EDT_A).status == 201
    lock = dav_server.request(
        "LOCK",
        path,
        auth=depositor_a.auth,
        body=LOCK_BODY,
        headers={"Content-Type": "text/xml", "Timeout": "Second-600"},
    )

    listing = dav_server.request(
        "PROPFIND",
        f"{depositor_a.group_path}{ready.college_a.pk}/",
        auth=other.auth,
        headers={"Depth": "1"},
    )
    read = dav_server.request("GET", path, auth=other.auth)
    delete = dav_server.request("DELETE", path, auth=other.auth)
    # The first account's lock is in its own namespace: it does not block the other account.
    own_put = dav_server.request("PUT", path, auth=other.auth, body=EDT_B)

    assert lock.status == 200
    assert listing.status == 207
    assert b"EDT.xml" not in listing.body
    assert read.status == 404
    assert delete.status == 404
    assert own_put.status == 201
    assert dav_server.request("GET", path, auth=depositor_a.auth).body == EDT_A
    assert dav_server.request("GET", path, auth=other.auth).body == EDT_B
    runs = {run.deposited_by_id: run for run in deposits()}
    assert set(runs) == {depositor_a.account.user_id, other.account.user_id}
    assert runs[depositor_a.account.user_id].establishment_id == ready.college_a.pk
    with runs[other.account.user_id].file.open("rb") as stored:
        assert stored.read() == EDT_B


def test_path_traversal_out_of_the_account_tree_is_refused(
    dav_server: DavServer, depositor_a: Depositor, depositor_b: Depositor, ready: Personas
) -> None:
    b_file = depositor_b.group_path + "EDT.xml"
    dav_server.request("PUT", b_file, auth=depositor_b.auth, body=EDT_B)
    a = depositor_a.auth
    escapes = [
        f"/webdav/{ready.group_a.pk}/../../{depositor_b.account.pk}/{ready.group_b.pk}/EDT.xml",
        f"/webdav/{ready.group_a.pk}/%2e%2e/%2e%2e/{depositor_b.account.pk}/"
        f"{ready.group_b.pk}/EDT.xml",
        f"/webdav/{ready.group_a.pk}/..%2f..%2f{depositor_b.account.pk}/EDT.xml",
    ]

    reads = [dav_server.request("GET", path, auth=a).status for path in escapes]
    writes = [dav_server.request("PUT", path, auth=a, body=EDT_A).status for path in escapes]

    # An encoded slash stays part of one name: no escape, just a file that does not exist
    # (404) in a place where nothing may be written (403).
    assert reads == [400, 400, 404]
    assert writes == [400, 400, 403]
    assert dav_server.request("GET", b_file, auth=depositor_b.auth).body == EDT_B
    assert not deposits().filter(deposited_by_id=depositor_a.account.user_id).exists()
    assert deposits().filter(school_group=ready.group_b).count() == 1
