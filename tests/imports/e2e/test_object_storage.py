"""Hosts that share nothing but PostgreSQL, Redis and an S3 bucket.

A deposit received by a ``serve_webdav`` process with its own ``ENT_VAR_DIR`` (spool, media)
is imported by a Celery worker started with another ``ENT_VAR_DIR``; the file travels through
the bucket of a real S3-compatible server (moto's standalone server), and the history's
download streams it from there.
"""

from __future__ import annotations

import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from imports.models import ImportRun
from tests.deposits.webdav.conftest import DavServer, make_depositor
from tests.factories import RoleFactory, UserFactory
from tests.imports.celery_harness import (
    CeleryWorker,
    free_port,
    process_environment,
    wait_for_final,
)
from tests.imports.e2e.conftest import WorkerStarter
from tests.imports.e2e.object_storage import S3Server, s3_server_start
from tests.imports.e2e.scenario import (
    SampleOnDisk,
    initialise,
    reexport,
    school_group_load,
    sessions_differences,
)

pytestmark = pytest.mark.slow
BASE_DIR = Path(django_settings.BASE_DIR)
START_TIMEOUT = 60
STOP_TIMEOUT = 30


@pytest.fixture
def s3_server(e2e_env: Path, settings: object) -> Iterator[S3Server]:
    """A moto S3 server, and this test process's default storage in its bucket."""
    server = s3_server_start(e2e_env / "moto.log")
    settings.STORAGES = server.storages(settings.STORAGES)  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def _serve_webdav(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve_webdav", "--port", str(port), "--threads", "4"],
        cwd=BASE_DIR,
        env=process_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen = ""
    while "WebDAV prêt" not in seen:
        if not selector.select(timeout=START_TIMEOUT) or process.poll() is not None:
            process.kill()
            raise AssertionError(f"serve_webdav did not start:\n{seen}")
        seen += process.stdout.readline()
    log_path.write_text(seen)
    return process, port


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop ``serve_webdav`` as Ctrl-C does; if it hangs, fail with its threads' stacks."""
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack
        time.sleep(1)
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(
            f"serve_webdav did not stop {STOP_TIMEOUT} s after SIGINT; its threads:\n{output}"
        ) from None


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_deposit_received_on_one_host_is_imported_on_another_through_the_bucket(
    s3_server: S3Server,
    start_worker: WorkerStarter,
    sample_files: SampleOnDisk,
    e2e_env: Path,
    production_hashers: None,
) -> None:
    dav_host, worker_host = e2e_env / "dav-host", e2e_env / "worker-host"
    shared = s3_server.environment()
    worker: CeleryWorker = start_worker(
        env={
            **shared,
            "ENT_VAR_DIR": str(worker_host),
            "DJANGO_MEDIA_ROOT": str(worker_host / "media"),
        }
    )
    school_group = school_group_load(sample_files)
    initial = initialise(school_group, sample_files, [worker])
    manager = RoleFactory(school_group=school_group, name=Role.Name.MANAGER).user
    depositor = make_depositor(school_group, UserFactory())
    export = reexport(sample_files.edt_xml, e2e_env, "webdav")

    dav, port = _serve_webdav(
        {
            **shared,
            "ENT_VAR_DIR": str(dav_host),
            "DJANGO_MEDIA_ROOT": str(dav_host / "media"),
            "ENT_WEBDAV_SPOOL_DIR": str(dav_host / "spool"),
        },
        e2e_env / "webdav.log",
    )
    try:
        put = DavServer("127.0.0.1", port, server=None).request(  # type: ignore[arg-type]
            "PUT",
            depositor.group_path + export.name,
            auth=depositor.auth,
            body=export.read_bytes(),
        )
    finally:
        _stop(dav)
    assert put.status == 201

    run = ImportRun.objects.filter(mode=ImportRun.Mode.AUTOMATIC).get()
    final = wait_for_final([run.pk], timeout=120, workers=[worker])[run.pk]
    assert final.status == ImportRun.Status.INTEGRATED, final.bilan.get("text", "")
    assert sessions_differences(sample_files.sample, since=initial.effective_at) == []
    # The file is in the bucket, and in neither host's media folder.
    assert final.file.name in s3_server.object_keys()
    assert _files_under(dav_host / "media") == []
    assert _files_under(worker_host / "media") == []

    client = Client()
    client.force_login(manager)
    response = client.get(reverse("imports:run_file", args=[school_group.pk, final.pk]))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == export.read_bytes()
    assert export.name in response["Content-Disposition"]
