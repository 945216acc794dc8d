"""Fifty depositors uploading at the same moment: ten school groups of five accounts each."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from deposits.models import DepositorAccount
from tests.deposits.conftest import initialise_school_group
from tests.deposits.webdav.conftest import DavServer, Depositor, deposits, make_depositor
from tests.factories import EstablishmentFactory, SchoolGroupFactory, UserFactory

SCHOOL_GROUPS = 10
DEPOSITORS = SCHOOL_GROUPS * DepositorAccount.MAX_PER_SCHOOL_GROUP


def _export(index: int) -> bytes:
    """A distinct export of about 200 kB per depositor."""
    lines = b"".join(
        b'  <COURS NUMERO="%d" DEPOSANT="%d"/>\n' % (line, index) for line in range(6000)
    )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>\n' + lines + b"</EXPORT_EDT>\n"


def test_fifty_parallel_depositors_are_served_without_error(
    start_dav_server: Callable[..., DavServer], dav_env: object
) -> None:
    depositors: list[Depositor] = []
    for _ in range(SCHOOL_GROUPS):
        group = SchoolGroupFactory()
        EstablishmentFactory(school_group=group)
        initialise_school_group(group)
        for _ in range(DepositorAccount.MAX_PER_SCHOOL_GROUP):
            depositors.append(make_depositor(group, UserFactory()))
    server = start_dav_server(threads=32)
    start = threading.Barrier(DEPOSITORS)

    def deposit(index: int) -> tuple[int, int]:
        depositor = depositors[index]
        body = _export(index)
        start.wait(timeout=60)
        put = server.request(
            "PUT", depositor.group_path + f"EDT-{index}.xml", auth=depositor.auth, body=body
        )
        listing = server.request(
            "PROPFIND", depositor.group_path, auth=depositor.auth, headers={"Depth": "1"}
        )
        return put.status, listing.status

    with ThreadPoolExecutor(max_workers=DEPOSITORS) as pool:
        statuses = list(pool.map(deposit, range(DEPOSITORS)))

    assert statuses == [(201, 207)] * DEPOSITORS
    runs = {run.deposited_by_id: run for run in deposits()}
    assert len(runs) == DEPOSITORS
    for index, depositor in enumerate(depositors):
        run = runs[depositor.account.user_id]
        expected = _export(index)
        assert run.school_group_id == depositor.account.school_group_id
        assert run.original_filename == f"EDT-{index}.xml"
        assert run.sha256 == hashlib.sha256(expected).hexdigest()
        with run.file.open("rb") as stored:
            assert stored.read() == expected
