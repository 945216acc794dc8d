"""Real WebDAV clients against the live server: litmus (RFC 4918), cadaver and rclone.

litmus runs in the ``compliance`` profile (every method allowed inside the account's tree,
as its suites need GET, DELETE, COPY and MOVE to set up and clean up). cadaver and rclone run
against the production ``deposit`` profile, as a school would use them.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from imports.models import ImportRun
from tests.conftest import Personas
from tests.deposits.webdav.conftest import DavServer, Depositor, deposits, require_tool

LITMUS_GROUPS = {
    # group: number of tests litmus 0.13 runs in it
    "basic": 16,
    "copymove": 13,
    "props": 30,
    "locks": 41,
    "http": 4,
}
_SUMMARY = re.compile(
    r"<- summary for `(?P<group>\w+)': of (?P<run>\d+) tests run: "
    r"(?P<passed>\d+) passed, (?P<failed>\d+) failed\. (?P<percent>[\d.]+)%"
)
_CLIENT_TIMEOUT = 120

EDT_BYTES = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<EXPORT_EDT VERSION="2026">\n'
    + b"".join(b'  <COURS NUMERO="%d" JOUR="%d"/>\n' % (n, n % 5) for n in range(2000))
    + b"</EXPORT_EDT>\n"
)
UDT_BYTES = b"PK\x03\x04" + bytes(range(256)) * 400


def _stored_bytes(run: ImportRun) -> bytes:
    with run.file.open("rb") as stored:
        return stored.read()


@pytest.mark.parametrize("group", list(LITMUS_GROUPS))
def test_litmus_group_passes_entirely(
    group: str,
    start_dav_server: Callable[..., DavServer],
    depositor_a: Depositor,
    ready: Personas,
    tmp_path: Path,
) -> None:
    litmus = require_tool("litmus")
    server = start_dav_server(profile="compliance")
    url = f"{server.base_url}/{ready.group_a.pk}/{ready.college_a.pk}/"
    workdir = tmp_path / "litmus"
    workdir.mkdir()

    # No -k: litmus exits non-zero on the first failing group, and the summary is parsed too
    # because -k would hide failures behind exit code 0.
    result = subprocess.run(
        [litmus, url, *depositor_a.auth],
        cwd=workdir,
        env={**os.environ, "TESTS": group},
        capture_output=True,
        text=True,
        timeout=_CLIENT_TIMEOUT,
        check=False,
    )

    output = result.stdout + result.stderr
    summaries = [match.groupdict() for match in _SUMMARY.finditer(output)]
    assert summaries, output
    assert summaries == [
        {
            "group": group,
            "run": str(LITMUS_GROUPS[group]),
            "passed": str(LITMUS_GROUPS[group]),
            "failed": "0",
            "percent": "100.0",
        }
    ], output
    assert result.returncode == 0, output
    # litmus reports "WARNING:" lines for tolerated deviations and "SKIPPED" for tests it
    # could not run; none is expected from this server.
    assert "WARNING" not in output, output
    assert "SKIPPED" not in output.upper(), output
    assert "FAIL" not in output.replace("0 failed", ""), output
    # litmus files are not timetable exports: none may become an import run.
    assert not deposits().exists()


def test_a_cadaver_put_becomes_one_import_run_with_the_exact_bytes(
    dav_server: DavServer, depositor_a: Depositor, ready: Personas, tmp_path: Path
) -> None:
    cadaver = require_tool("cadaver")
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    login, password = depositor_a.auth
    netrc.write_text(f"machine {dav_server.host}\nlogin {login}\npassword {password}\n")
    netrc.chmod(0o600)
    local = tmp_path / "export-edt.xml"
    local.write_bytes(EDT_BYTES)
    url = f"{dav_server.base_url}/{ready.group_a.pk}/{ready.lycee_a.pk}/"

    result = subprocess.run(
        [cadaver, "-t", url],
        input=f"put {local} EDT.xml\nls\nquit\n",
        cwd=tmp_path,
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=_CLIENT_TIMEOUT,
        check=False,
    )

    output = result.stdout + result.stderr
    assert "succeeded" in output, output
    assert "EDT.xml" in output.split("ls", 1)[-1], output
    run = deposits().get()
    assert run.establishment_id == ready.lycee_a.pk
    assert run.original_filename == "EDT.xml"
    assert run.size == len(EDT_BYTES)
    assert run.sha256 == hashlib.sha256(EDT_BYTES).hexdigest()
    assert _stored_bytes(run) == EDT_BYTES


def test_an_rclone_copy_becomes_one_import_run_with_the_exact_bytes(
    dav_server: DavServer, depositor_a: Depositor, ready: Personas, tmp_path: Path
) -> None:
    rclone = require_tool("rclone")
    login, password = depositor_a.auth
    obscured = subprocess.run(
        [rclone, "obscure", "-"],
        input=password,
        capture_output=True,
        text=True,
        timeout=_CLIENT_TIMEOUT,
        check=True,
    ).stdout.strip()
    local = tmp_path / "0123456A_20261102080000_UDT.zip"
    local.write_bytes(UDT_BYTES)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "RCLONE_CONFIG": str(tmp_path / "rclone.conf"),
        "RCLONE_CONFIG_DEPOT_TYPE": "webdav",
        "RCLONE_CONFIG_DEPOT_URL": f"{dav_server.base_url}/{ready.group_a.pk}/",
        "RCLONE_CONFIG_DEPOT_VENDOR": "other",
        "RCLONE_CONFIG_DEPOT_USER": login,
        "RCLONE_CONFIG_DEPOT_PASS": obscured,
    }

    result = subprocess.run(
        [rclone, "copyto", "--retries", "1", str(local), f"depot:{local.name}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=_CLIENT_TIMEOUT,
        check=False,
    )
    listing = subprocess.run(
        [rclone, "lsf", "depot:"],
        env=env,
        capture_output=True,
        text=True,
        timeout=_CLIENT_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert local.name in listing.stdout.splitlines(), listing.stdout + listing.stderr
    run = deposits().get()
    assert run.school_group_id == ready.group_a.pk
    assert run.establishment_id is None
    assert run.original_filename == local.name
    assert run.sha256 == hashlib.sha256(UDT_BYTES).hexdigest()
    assert _stored_bytes(run) == UDT_BYTES
