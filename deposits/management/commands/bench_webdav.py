"""``manage.py bench_webdav``: latency and throughput of the WebDAV deposit (design §8).

The command starts the deposit server (the application ``serve_webdav`` runs, in the same
cheroot configuration) on a free loopback port, against the configured database and cache,
with temporary school groups and depositor accounts created through the real services. It
measures:

a. the latency of a 5 MB PUT by one depositor (median, p95, min over ``--repeat`` PUTs on a
   kept-alive connection; the first, cold request that pays the password hash is reported
   apart);
b. the FLOOR: the same PUT against a trivial WSGI application in the same cheroot that only
   reads and discards the body, and the ratio between the two medians;
c. the throughput with ``--depositors`` parallel depositors (ten per cent of them per school
   group, at most five accounts per group), each sending ``--rounds`` PUTs of ``--size-mb``:
   requests/s, MB/s and errors, after one authenticated PROPFIND each (the cold hashes).

Every PUT is a complete deposit: stored in media, ``ImportRun`` created and enqueued. The
enqueue goes to Celery's in-memory transport, so that no worker picks up the benchmark's runs.
Media and spool go to a temporary directory; the school groups, users, accounts and runs are
deleted at the end.
"""

from __future__ import annotations

import base64
import http.client
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Message, User
from deposits.models import DepositorAccount
from deposits.services import credential_reveal_consume, depositor_account_create
from deposits.webdav.app import (
    build_webdav_app,
    mount_webdav,
    not_found_app,
    webdav_server,
    webdav_server_stop,
)
from ent.celery import app as celery_app
from ent.identifiers import make_uai
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun

MB = 1024 * 1024
_BODY_SLACK_BYTES = 64 * 1024
LATENCY_TARGET_MS = 300


@dataclass(frozen=True)
class BenchDepositor:
    login: str
    password: str
    path: str

    @property
    def authorization(self) -> str:
        token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
        return f"Basic {token}"


class Command(BaseCommand):
    help = "Mesure la latence d'un PUT de 5 Mo et le débit du dépôt WebDAV (design §8)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=30, help="PUT mesurés (latence).")
        parser.add_argument("--latency-mb", type=float, default=5.0)
        parser.add_argument("--depositors", type=int, default=50)
        parser.add_argument("--rounds", type=int, default=4, help="PUT par dépositaire.")
        parser.add_argument("--size-mb", type=float, default=1.0, help="Taille (débit).")
        parser.add_argument("--threads", type=int, default=32, help="Threads de cheroot.")

    def handle(self, *args: Any, **options: Any) -> None:
        # No worker may take the benchmark's runs: publish to an in-memory transport.
        celery_app.conf.broker_url = "memory://"
        celery_app.conf.broker_transport_options = {}
        scratch = Path(tempfile.mkdtemp(prefix="bench-webdav-"))
        tag = uuid.uuid4().hex[:8]
        try:
            with override_settings(
                MEDIA_ROOT=str(scratch / "media"),
                ENT_WEBDAV_SPOOL_DIR=scratch / "spool",
                ENT_WEBDAV_LOCK_PREFIX=f"bench-webdav-{tag}",
            ):
                try:
                    self._run(tag, **options)
                finally:
                    _cleanup(tag)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _run(
        self,
        tag: str,
        *,
        repeat: int,
        latency_mb: float,
        depositors: int,
        rounds: int,
        size_mb: float,
        threads: int,
        **_: Any,
    ) -> None:
        hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
        self.stdout.write(
            f"WebDAV bench: cheroot {threads} threads, hasher {hasher}, "
            f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        groups = max(1, -(-depositors // DepositorAccount.MAX_PER_SCHOOL_GROUP))
        accounts = _make_depositors(tag, groups=groups, count=depositors)
        latency_body = _export_body(int(latency_mb * MB))

        with _serving(build_webdav_app(), threads) as port:
            cold = _timed_put(port, accounts[0], latency_body, "cold.xml")
            samples = _sequential_puts(port, accounts[0], latency_body, repeat)
        with _serving(_discard_app, threads) as port:
            _sequential_puts(port, accounts[0], latency_body, 3)
            floor = _sequential_puts(port, accounts[0], latency_body, repeat)
        self._report_latency(latency_mb, cold, samples, floor)

        throughput_body = _export_body(int(size_mb * MB))
        with _serving(build_webdav_app(), threads) as port:
            started = time.perf_counter()
            warm_errors = _parallel(port, accounts, lambda c, d, i: _propfind(c, d))
            warm = time.perf_counter() - started
            started = time.perf_counter()
            errors = _parallel(
                port,
                accounts,
                lambda c, d, i: _put(c, d, throughput_body, f"EDT-{i}.xml"),
                rounds=rounds,
            )
            elapsed = time.perf_counter() - started
        requests = len(accounts) * rounds
        runs = ImportRun.objects.filter(school_group__name__startswith=_group_prefix(tag))
        self.stdout.write(
            f"{len(accounts)} parallel depositors ({groups} school groups): first "
            f"authenticated PROPFIND of each (password hash) {warm:.2f} s, errors "
            f"{len(warm_errors)}"
        )
        self.stdout.write(
            f"{requests} PUT of {size_mb:g} MB in {elapsed:.2f} s: "
            f"{requests / elapsed:.1f} requests/s, {requests * size_mb / elapsed:.1f} MB/s, "
            f"errors {len(errors)}; import runs created {runs.count()} "
            f"(expected {requests + repeat + 1})"
        )
        for error in (warm_errors + errors)[:5]:
            self.stdout.write(self.style.ERROR(f"  {error}"))

    def _report_latency(
        self, size_mb: float, cold: float, samples: list[float], floor: list[float]
    ) -> None:
        median, p95 = _median_p95(samples)
        floor_median, floor_p95 = _median_p95(floor)
        verdict = (
            self.style.SUCCESS("OK")
            if p95 * 1000 < LATENCY_TARGET_MS
            else self.style.ERROR(f"over {LATENCY_TARGET_MS} ms")
        )
        self.stdout.write(
            f"PUT {size_mb:g} MB (deposit, {len(samples)} runs): median {median * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, min {min(samples) * 1000:.1f} ms; first request with "
            f"the password hash {cold * 1000:.1f} ms; target < {LATENCY_TARGET_MS} ms: {verdict}"
        )
        self.stdout.write(
            f"FLOOR PUT {size_mb:g} MB (read and discard, same cheroot): median "
            f"{floor_median * 1000:.1f} ms, p95 {floor_p95 * 1000:.1f} ms; ratio "
            f"{median / floor_median:.1f}x"
        )


# --- Server and clients --------------------------------------------------------------------


class _serving:
    """Run ``app`` mounted at ``/webdav`` on a free loopback port for the ``with`` block."""

    def __init__(self, app: Callable[..., Iterable[bytes]], threads: int) -> None:
        self._server, self._connections = webdav_server(
            mount_webdav(not_found_app, webdav_app=app),
            host="127.0.0.1",
            port=0,
            threads=threads,
            max_body_bytes=settings.ENT_MAX_DEPOSIT_BYTES + _BODY_SLACK_BYTES,
        )

    def __enter__(self) -> int:
        self._server.prepare()
        threading.Thread(target=self._server.serve, daemon=True).start()
        return self._server.bind_addr[1]

    def __exit__(self, *exc: object) -> None:
        webdav_server_stop(self._server, self._connections)


def _discard_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The floor: read the request body in 1 MiB blocks, keep nothing, answer 201."""
    stream = environ["wsgi.input"]
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    while remaining > 0:
        chunk = stream.read(min(MB, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
    start_response("201 Created", [("Content-Length", "0")])
    return [b""]


def _connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def _put(
    connection: http.client.HTTPConnection, depositor: BenchDepositor, body: bytes, name: str
) -> int:
    connection.request(
        "PUT",
        depositor.path + name,
        body=body,
        headers={"Authorization": depositor.authorization, "Content-Type": "text/xml"},
    )
    response = connection.getresponse()
    response.read()
    return response.status


def _propfind(connection: http.client.HTTPConnection, depositor: BenchDepositor) -> int:
    connection.request(
        "PROPFIND", depositor.path, headers={"Authorization": depositor.authorization, "Depth": "0"}
    )
    response = connection.getresponse()
    response.read()
    return response.status


def _timed_put(port: int, depositor: BenchDepositor, body: bytes, name: str) -> float:
    connection = _connection(port)
    try:
        started = time.perf_counter()
        status = _put(connection, depositor, body, name)
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    if status not in (201, 204):
        raise RuntimeError(f"PUT {name} answered {status}")
    return elapsed


def _sequential_puts(port: int, depositor: BenchDepositor, body: bytes, repeat: int) -> list[float]:
    connection = _connection(port)
    samples = []
    try:
        for index in range(repeat):
            started = time.perf_counter()
            status = _put(connection, depositor, body, f"EDT-{index}.xml")
            samples.append(time.perf_counter() - started)
            if status not in (201, 204):
                raise RuntimeError(f"PUT answered {status}")
    finally:
        connection.close()
    return samples


def _parallel(
    port: int,
    depositors: list[BenchDepositor],
    action: Callable[[http.client.HTTPConnection, BenchDepositor, int], int],
    *,
    rounds: int = 1,
) -> list[str]:
    """Run ``action`` ``rounds`` times for every depositor at once; return the errors."""
    barrier = threading.Barrier(len(depositors))

    def one(depositor: BenchDepositor) -> list[str]:
        errors = []
        connection = _connection(port)
        barrier.wait(timeout=120)
        try:
            for index in range(rounds):
                try:
                    status = action(connection, depositor, index)
                except (OSError, http.client.HTTPException) as error:
                    errors.append(f"{depositor.login}: {error!r}")
                    connection.close()
                    connection = _connection(port)
                    continue
                if status not in (201, 204, 207):
                    errors.append(f"{depositor.login}: status {status}")
        finally:
            connection.close()
        return errors

    with ThreadPoolExecutor(max_workers=len(depositors)) as pool:
        return [error for errors in pool.map(one, depositors) for error in errors]


# --- Fixtures of the benchmark -------------------------------------------------------------


def _group_prefix(tag: str) -> str:
    return f"Banc d'essai WebDAV {tag}"


def _make_depositors(tag: str, *, groups: int, count: int) -> list[BenchDepositor]:
    now = timezone.now()
    depositors: list[BenchDepositor] = []
    for group_index in range(groups):
        group = SchoolGroup.objects.create(name=f"{_group_prefix(tag)} {group_index + 1}")
        establishment = Establishment.objects.create(
            school_group=group, uai=_free_uai(), name=f"Collège du banc {group_index + 1}"
        )
        for _ in range(DepositorAccount.MAX_PER_SCHOOL_GROUP):
            if len(depositors) == count:
                break
            index = len(depositors) + 1
            user = User.objects.create(
                username=f"bench-webdav-{tag}-{index}",
                first_name="Banc",
                last_name=f"{tag} {index}",
            )
            account = depositor_account_create(
                school_group=group, user=user, notify=False, created_by=None, now=now
            )
            token = Message.objects.filter(recipient=user).latest("pk").link.rsplit("/", 2)[-2]
            password = credential_reveal_consume(token=token, user=user, now=now).password
            depositors.append(
                BenchDepositor(account.login, password, f"/webdav/{group.pk}/{establishment.pk}/")
            )
    return depositors


def _free_uai() -> str:
    while True:
        uai = make_uai(f"{random.randint(9_000_000, 9_999_999)}")  # noqa: S311 - not a secret
        if not Establishment.objects.filter(uai=uai).exists():
            return uai


def _cleanup(tag: str) -> None:
    groups = SchoolGroup.objects.filter(name__startswith=_group_prefix(tag))
    ImportRun.objects.filter(school_group__in=groups).delete()
    User.objects.filter(username__startswith=f"bench-webdav-{tag}-").delete()
    Establishment.objects.filter(school_group__in=groups).delete()
    groups.delete()


def _export_body(size: int) -> bytes:
    line = b'  <COURS NUMERO="000000" SALLE="S101" PROF="P0001" CLASSE="3A" JOUR="1"/>\n'
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<EXPORT_EDT>\n'
    tail = b"</EXPORT_EDT>\n"
    lines, padding = divmod(max(0, size - len(head) - len(tail)), len(line))
    return head + line * lines + b" " * padding + tail


def _median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95
