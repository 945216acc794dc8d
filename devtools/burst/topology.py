"""The production shape, started by the burst benchmark: one WebDAV server, N Celery workers.

Every process shares the configured PostgreSQL database, Redis and file storage with the
benchmark (:func:`devtools.processes.child_environment`: the database URL is rebuilt from
the live connection, so a test database works too). Workers run one import each (``-c 1``)
at a lower priority (``nice``, as in the ``Procfile``) and take their host name in turn from
``hosts``, standing for several machines.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from devtools.processes import (
    WORKER_READY_MARK,
    ChildNotReady,
    ChildProcess,
    celery_worker_command,
    child_environment,
    cpu_seconds,
    free_port,
    rss_bytes,
    wait_all_ready,
)

START_TIMEOUT = 90.0


class TopologyError(RuntimeError):
    """A process of the topology did not start."""


@dataclass
class Topology:
    webdav: ChildProcess
    workers: list[ChildProcess]
    webdav_port: int

    def start(self) -> Topology:
        children = [self.webdav, *self.workers]
        for child in children:
            child.start()
        try:
            wait_all_ready(children, timeout=START_TIMEOUT)
        except ChildNotReady as error:
            raise TopologyError(str(error)) from error
        return self

    def stop(self) -> None:
        for child in (self.webdav, *self.workers):
            child.stop()

    def webdav_cpu_seconds(self) -> float:
        """CPU time the WebDAV server has used so far."""
        return sum(cpu_seconds(pid) for pid in self.webdav.pids())

    def worker_rss(self) -> dict[int, int]:
        """Resident memory of every worker process (main processes and pool children)."""
        return {pid: rss_bytes(pid) for worker in self.workers for pid in worker.pids()}


def topology_build(
    *,
    workers: int,
    hosts: tuple[str, ...],
    folder: Path,
    webdav_threads: int,
    worker_nice: int = 10,
    env: dict[str, str] | None = None,
) -> Topology:
    """Describe the topology (nothing starts before :meth:`Topology.start`)."""
    if connection.vendor != "postgresql":
        raise TopologyError("Le banc d'essai demande PostgreSQL (DATABASE_URL).")
    environment = child_environment({"ENT_WEBDAV_SPOOL_DIR": str(folder / "spool"), **(env or {})})
    port = free_port()
    webdav = ChildProcess(
        name="serve_webdav",
        args=[
            sys.executable,
            "manage.py",
            "serve_webdav",
            "--port",
            str(port),
            "--threads",
            str(webdav_threads),
        ],
        log_path=folder / "webdav.log",
        ready_mark="WebDAV prêt",
        env=environment,
    )
    children = []
    for index in range(workers):
        name = f"burst{index + 1}@{hosts[index % len(hosts)]}"
        children.append(
            ChildProcess(
                name=name,
                # Batch work yields the CPU to deposits and pages, as in the Procfile.
                args=celery_worker_command(name=name, nice=worker_nice),
                log_path=folder / f"worker-{index + 1}.log",
                ready_mark=WORKER_READY_MARK,
                env=environment,
            )
        )
    return Topology(webdav=webdav, workers=children, webdav_port=port)
