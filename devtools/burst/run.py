"""The burst: every target of a fleet deposits one export through real WebDAV PUTs at once.

:func:`burst_run` initialises each target's school year (the manual first import, as the
wizard does), then sends one automatic deposit per target from ``clients`` parallel HTTP
clients, spread over ``window_seconds``, each body padded to ``deposit_bytes`` with an XML
comment (a new export of the same timetable, so not a duplicate). It waits until every run is
final and returns a :class:`BurstReport`: what was accepted, lost or applied twice, the
latencies, the drain time, the workers' peak memory and the database connections used.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import http.client
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from devtools.burst.fleet import Fleet, Target, target_differences
from devtools.burst.topology import Topology
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun, ImportStep
from imports.services.deposits import deposit_receive

POLL_SECONDS = 0.5
_APPLY_STEP = "séances"


@dataclass
class Put:
    target: Target
    status: int
    sent_at: float
    seconds: float
    error: str = ""
    # The account's first request of the burst: its password is hashed and checked, not cached.
    first_of_account: bool = False


@dataclass
class Sampler:
    """Samples worker memory and database connections in a thread while the burst runs."""

    topology: Topology
    peak_worker_process: int = 0
    peak_workers_total: int = 0
    peak_connections: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                rss = self.topology.worker_rss()
                if rss:
                    self.peak_worker_process = max(self.peak_worker_process, max(rss.values()))
                    self.peak_workers_total = max(self.peak_workers_total, sum(rss.values()))
                self.peak_connections = max(self.peak_connections, database_connections())
                time.sleep(POLL_SECONDS)
        finally:
            connection.close()


def database_connections() -> int:
    """Connections open on this database (every process of the topology, and this one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@dataclass
class BurstReport:
    establishments: int
    school_groups: int
    targets: int
    presets: dict[str, int]
    workers: int
    hosts: tuple[str, ...]
    fleet_seconds: float
    initialisation_seconds: float
    deposits_sent: int
    deposits_accepted: int
    deposit_bytes: int
    put_p50: float
    put_p95: float
    put_max: float
    put_warm_p50: float
    put_warm_p95: float
    put_first_p95: float
    send_seconds: float
    client_cpu_seconds: float
    server_cpu_seconds: float
    runs_created: int
    statuses: dict[str, int]
    final_p50: float
    final_p95: float
    final_max: float
    drain_seconds: float
    peak_worker_process_mb: float
    peak_workers_total_mb: float
    peak_connections: int
    lost: list[str]
    applied_twice: list[str]
    session_differences: list[str]
    refused: list[str]
    puts: list[Put] = field(default_factory=list, repr=False)

    @property
    def sound(self) -> bool:
        return not (self.lost or self.applied_twice or self.session_differences or self.refused)

    def _setup_lines(self) -> list[str]:
        if not self.fleet_seconds:
            seconds = self.initialisation_seconds
            return [f"Initialisation (imports manuels de l'année) : {seconds:.1f} s"]
        per_establishment = self.fleet_seconds / max(1, self.establishments) * 1000
        return [
            f"Création de la flotte : {self.fleet_seconds:.1f} s "
            f"({per_establishment:.0f} ms par établissement)",
            "Initialisation (imports manuels de l'année, déposés au fil de la création) : "
            f"terminée {self.initialisation_seconds:.1f} s après le début de la création",
        ]

    def lines(self) -> list[str]:
        presets = ", ".join(f"{n} {p}" for p, n in sorted(self.presets.items()))
        return [
            f"Flotte : {self.establishments} établissements, {self.school_groups} cités "
            f"scolaires, {self.targets} exports ({presets})",
            f"Topologie : {self.workers} workers Celery (-c 1) sur {len(self.hosts)} hôtes "
            f"({', '.join(self.hosts)}), serve_webdav à part",
            *self._setup_lines(),
            f"Dépôts envoyés : {self.deposits_sent} en {self.send_seconds:.1f} s, acceptés : "
            f"{self.deposits_accepted} ({self.deposit_bytes / 1e6:.1f} Mo chacun)",
            f"PUT : p50 {self.put_p50 * 1000:.0f} ms, p95 {self.put_p95 * 1000:.0f} ms, "
            f"max {self.put_max * 1000:.0f} ms ; identifiants déjà vérifiés : p50 "
            f"{self.put_warm_p50 * 1000:.0f} ms, p95 {self.put_warm_p95 * 1000:.0f} ms ; "
            f"premier dépôt du compte (mot de passe vérifié) : p95 "
            f"{self.put_first_p95 * 1000:.0f} ms",
            f"Serveur WebDAV : {self.server_cpu_seconds:.1f} s de CPU pendant l'envoi, "
            f"{self.server_cpu_seconds / max(1, self.deposits_sent) * 1000:.0f} ms par dépôt",
            f"Clients WebDAV (ce processus) : {self.client_cpu_seconds:.1f} s de CPU pendant "
            f"l'envoi, {self.client_cpu_seconds / max(1, self.deposits_sent) * 1000:.0f} ms "
            "par dépôt",
            f"Imports créés : {self.runs_created} ; statuts finaux : "
            + ", ".join(f"{s} {n}" for s, n in sorted(self.statuses.items())),
            f"Dépôt → statut final : p50 {self.final_p50:.1f} s, p95 {self.final_p95:.1f} s, "
            f"max {self.final_max:.1f} s",
            f"Vidage de la file : {self.drain_seconds:.1f} s",
            f"Mémoire des workers : pic {self.peak_worker_process_mb:.0f} Mo par processus, "
            f"{self.peak_workers_total_mb:.0f} Mo au total",
            f"Connexions PostgreSQL : pic {self.peak_connections}",
            f"Perdus : {len(self.lost)}, appliqués deux fois : {len(self.applied_twice)}, "
            f"refusés : {len(self.refused)}, séances différentes : "
            f"{len(self.session_differences)}",
            *(f"  {line}" for line in [*self.lost, *self.applied_twice, *self.refused]),
            *(f"  {line}" for line in self.session_differences[:20]),
        ]


def burst_run(
    *,
    fleet: Fleet,
    topology: Topology,
    clients: int,
    window_seconds: float,
    deposit_bytes: int,
    timeout: float,
    progress: Callable[[str], None] = lambda _line: None,
    initial_runs: dict[str, int] | None = None,
    initialisation_started: float | None = None,
    fleet_seconds: float = 0.0,
    sampler: Sampler | None = None,
) -> BurstReport:
    """Initialise the fleet, send the burst, wait for the drain, check and measure.

    ``initial_runs`` are the first imports already deposited while the fleet was created
    (:func:`initialise_deposit`, from ``initialisation_started``, a ``time.monotonic()``);
    without them every target's first import is deposited here.
    """
    sampler = sampler or Sampler(topology).start()
    try:
        started = initialisation_started or time.monotonic()
        if initial_runs is None:
            initial_runs = initialise_deposit(fleet.targets)
        progress(f"{len(initial_runs)} imports d'initialisation déposés…")
        initial = initialise_wait(initial_runs, timeout=timeout)
        initialisation = time.monotonic() - started
        progress(f"Initialisation terminée en {initialisation:.1f} s ; rafale de dépôts…")
        burst_start = timezone.now()
        t0, cpu0 = time.monotonic(), time.process_time()
        server_cpu0 = topology.webdav_cpu_seconds()
        puts = _send(
            fleet,
            port=topology.webdav_port,
            clients=clients,
            window_seconds=window_seconds,
            deposit_bytes=deposit_bytes,
        )
        send_seconds = time.monotonic() - t0
        client_cpu = time.process_time() - cpu0
        server_cpu = topology.webdav_cpu_seconds() - server_cpu0
        progress(f"{len(puts)} dépôts envoyés en {send_seconds:.1f} s ; attente des imports…")
        accepted = sum(1 for put in puts if put.status == 201)
        runs = _wait_final(fleet, since=burst_start, expected=accepted, timeout=timeout)
        drain = time.monotonic() - t0
    finally:
        sampler.stop()
    return _report(
        fleet,
        topology,
        puts=puts,
        runs=runs,
        initial=initial,
        fleet_seconds=fleet_seconds,
        initialisation=initialisation,
        send_seconds=send_seconds,
        client_cpu=client_cpu,
        server_cpu=server_cpu,
        drain=drain,
        deposit_bytes=deposit_bytes,
        sampler=sampler,
    )


def initialise_deposit(targets: Iterable[Target]) -> dict[str, int]:
    """Deposit the manual first import of each target (confirmed despite the thresholds).

    Returns the run ids by target key; the workers import them as they come.
    """
    runs: dict[str, int] = {}
    for target in targets:
        with transaction.atomic(), target.edt_path.open("rb") as stream:
            run = deposit_receive(
                school_group=SchoolGroup.objects.get(pk=target.school_group_id),
                establishment=(
                    None
                    if target.establishment_id is None
                    else Establishment.objects.get(pk=target.establishment_id)
                ),
                filename=target.edt_path.name,
                stream=stream,
                deposited_by_id=None,
                mode=ImportRun.Mode.MANUAL,
                apply_anyway=True,
                now=timezone.now(),
            )
        runs[target.key] = run.pk
    return runs


def initialise_wait(runs: dict[str, int], *, timeout: float) -> dict[str, ImportRun]:
    """Wait for the first imports; raise unless every one is INTEGRATED."""
    finals = _wait_ids(list(runs.values()), timeout=timeout)
    failed = [r for r in finals.values() if r.status != ImportRun.Status.INTEGRATED]
    if failed:
        detail = "; ".join(f"n° {r.pk} {r.status} {r.current_step}" for r in failed[:5])
        raise RuntimeError(f"{len(failed)} imports d'initialisation non intégrés : {detail}")
    return {key: finals[pk] for key, pk in runs.items()}


def _wait_ids(ids: list[int], *, timeout: float) -> dict[int, ImportRun]:
    deadline = time.monotonic() + timeout
    while True:
        runs = {r.pk: r for r in ImportRun.objects.filter(pk__in=ids)}
        if all(r.is_final for r in runs.values()) and len(runs) == len(ids):
            return runs
        if time.monotonic() > deadline:
            waiting = Counter(r.status for r in runs.values() if not r.is_final)
            raise RuntimeError(f"Imports toujours en cours après {timeout:.0f} s : {waiting}")
        time.sleep(POLL_SECONDS)


# The padding every body shares, sent slice by slice (never copied per request).
_PADDING = memoryview(b"." * (1024 * 1024))


@dataclass(frozen=True)
class _Body:
    """A deposit body streamed from the export read once and a shared padding block."""

    head: bytes
    padding: int
    tail: bytes = b" -->\n"

    def __len__(self) -> int:
        return len(self.head) + self.padding + len(self.tail)

    def __iter__(self) -> Iterator[bytes | memoryview]:
        yield self.head
        left = self.padding
        while left > 0:
            chunk = _PADDING[: min(left, len(_PADDING))]
            left -= len(chunk)
            yield chunk
        yield self.tail


def _body(export: bytes, deposit_bytes: int) -> _Body:
    """The export followed by an XML comment padding it to ``deposit_bytes``: a new export of
    the same timetable (its bytes differ), not a duplicate."""
    comment = f"\n<!-- nouvel export {timezone.now():%Y-%m-%d %H:%M:%S} ".encode()
    head = export + comment
    return _Body(head=head, padding=max(0, deposit_bytes - len(head) - 5))


def _send(
    fleet: Fleet, *, port: int, clients: int, window_seconds: float, deposit_bytes: int
) -> list[Put]:
    targets = list(fleet.targets)
    step = window_seconds / max(1, len(targets))
    first: dict[int, int] = {}
    for index, target in enumerate(targets):
        first.setdefault(target.school_group_id, index)
    t0 = time.monotonic() + 0.5

    exports = {target.key: target.edt_path.read_bytes() for target in targets}

    def one(index: int) -> Put:
        target = targets[index]
        body = _body(exports[target.key], deposit_bytes)
        depositor = fleet.depositors[target.school_group_id]
        token = base64.b64encode(f"{depositor.login}:{depositor.password}".encode()).decode()
        delay = t0 + index * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent = time.monotonic()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            client.request(
                "PUT",
                f"{target.folder}{target.edt_path.name}",
                body=body,
                headers={
                    "Authorization": f"Basic {token}",
                    "Content-Type": "application/xml",
                    "Content-Length": str(len(body)),
                },
            )
            response = client.getresponse()
            response.read()
            return Put(
                target,
                response.status,
                sent,
                time.monotonic() - sent,
                first_of_account=first[target.school_group_id] == index,
            )
        except OSError as error:
            return Put(target, 0, sent, time.monotonic() - sent, error=str(error))
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(one, range(len(targets))))


def _burst_runs(fleet: Fleet, since: dt.datetime) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(
        school_group_id__in=fleet.school_group_ids,
        mode=ImportRun.Mode.AUTOMATIC,
        received_at__gte=since,
    )


def _wait_final(
    fleet: Fleet, *, since: dt.datetime, expected: int, timeout: float
) -> list[ImportRun]:
    deadline = time.monotonic() + timeout
    while True:
        runs = list(_burst_runs(fleet, since))
        if len(runs) >= expected and all(r.is_final for r in runs):
            return runs
        if time.monotonic() > deadline:
            return runs
        time.sleep(POLL_SECONDS)


def _percentile(values: Iterable[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(share * 100) - 1]


def _report(
    fleet: Fleet,
    topology: Topology,
    *,
    puts: list[Put],
    runs: list[ImportRun],
    initial: dict[str, ImportRun],
    fleet_seconds: float,
    initialisation: float,
    send_seconds: float,
    client_cpu: float,
    server_cpu: float,
    drain: float,
    deposit_bytes: int,
    sampler: Sampler,
) -> BurstReport:
    accepted = [p for p in puts if p.status == 201]
    warm = [p for p in accepted if not p.first_of_account]
    refused = [f"{p.target.key}: HTTP {p.status} {p.error}" for p in puts if p.status != 201]
    by_target: dict[tuple[int, int | None], list[ImportRun]] = {}
    for run in runs:
        by_target.setdefault((run.school_group_id, run.establishment_id), []).append(run)
    lost, twice, differences = [], [], []
    applied = _apply_counts([r.pk for r in runs])
    for put in accepted:
        target = put.target
        mine = by_target.get((target.school_group_id, target.establishment_id), [])
        if not mine or not all(r.is_final for r in mine):
            lost.append(f"{target.key}: aucun import final pour le dépôt accepté")
            continue
        if len(mine) > 1 or any(applied.get(r.pk, 0) > 1 for r in mine):
            twice.append(f"{target.key}: {len(mine)} imports, étapes d'écriture {applied}")
        integrated = [r for r in mine if r.status == ImportRun.Status.INTEGRATED]
        if len(integrated) != 1:
            lost.append(f"{target.key}: statut {[r.status for r in mine]}")
            continue
        since = initial[target.key].effective_at or initial[target.key].received_at
        differences += target_differences(target, since=since)
    latencies = [
        (r.finished_at - r.received_at).total_seconds() for r in runs if r.finished_at is not None
    ]
    return BurstReport(
        establishments=fleet.establishments,
        school_groups=len(fleet.school_group_ids),
        targets=len(fleet.targets),
        presets=dict(fleet.presets()),
        workers=len(topology.workers),
        hosts=tuple(sorted({w.name.split("@", 1)[1] for w in topology.workers})),
        fleet_seconds=fleet_seconds,
        initialisation_seconds=initialisation,
        deposits_sent=len(puts),
        deposits_accepted=len(accepted),
        deposit_bytes=deposit_bytes,
        put_p50=_percentile((p.seconds for p in accepted), 0.50),
        put_p95=_percentile((p.seconds for p in accepted), 0.95),
        put_max=max((p.seconds for p in accepted), default=0.0),
        put_warm_p50=_percentile((p.seconds for p in warm), 0.50),
        put_warm_p95=_percentile((p.seconds for p in warm), 0.95),
        put_first_p95=_percentile((p.seconds for p in accepted if p.first_of_account), 0.95),
        send_seconds=send_seconds,
        client_cpu_seconds=client_cpu,
        server_cpu_seconds=server_cpu,
        runs_created=len(runs),
        statuses=dict(Counter(r.status for r in runs)),
        final_p50=_percentile(latencies, 0.50),
        final_p95=_percentile(latencies, 0.95),
        final_max=max(latencies, default=0.0),
        drain_seconds=drain,
        peak_worker_process_mb=sampler.peak_worker_process / 1e6,
        peak_workers_total_mb=sampler.peak_workers_total / 1e6,
        peak_connections=sampler.peak_connections,
        lost=lost,
        applied_twice=twice,
        session_differences=differences,
        refused=refused,
        puts=puts,
    )


def puts_csv_write(report: BurstReport, path: Path) -> None:
    """One line per PUT: when it was sent (s from the first), its duration, its outcome."""
    start = min((put.sent_at for put in report.puts), default=0.0)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["cible", "envoye_s", "duree_ms", "statut", "premier_du_compte"])
        for put in sorted(report.puts, key=lambda p: p.sent_at):
            writer.writerow(
                [
                    put.target.key,
                    f"{put.sent_at - start:.3f}",
                    f"{put.seconds * 1000:.0f}",
                    put.status,
                    int(put.first_of_account),
                ]
            )


def _apply_counts(run_ids: list[int]) -> dict[int, int]:
    """How many times each run recorded its session-writing step."""
    rows = (
        ImportStep.objects.filter(run_id__in=run_ids, name=_APPLY_STEP)
        .values("run_id")
        .annotate(n=Count("pk"))
    )
    return {row["run_id"]: row["n"] for row in rows}
