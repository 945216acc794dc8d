"""The production shape, started by the burst benchmark: one WebDAV server, N Celery workers.

Every process shares the configured PostgreSQL database, Redis and file storage with the
benchmark (the database URL is rebuilt from the live connection, so a test database works
too). Workers run one import each (``-c 1``) at a lower priority (``nice``, as in the
``Procfile``) and take their host name in turn from ``hosts``, standing for several machines.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from ent.celery import CeleryQueue

START_TIMEOUT = 90.0
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


class TopologyError(RuntimeError):
    """A process of the topology did not start."""


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise TopologyError("Le banc d'essai demande PostgreSQL (DATABASE_URL).")
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="ent.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        ENT_VAR_DIR=str(settings.VAR_DIR),
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    args: list[str]
    log_path: Path
    ready_mark: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:  # a fresh log: its ready mark is this run's
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.args,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise TopologyError(f"{self.name} s'est arrêté :\n{self.log_tail()}")
        return self.log_path.exists() and self.ready_mark in self.log_path.read_text(
            errors="replace"
        )

    def pids(self) -> list[int]:
        """The process group: the main process and its pool children."""
        if self.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                if os.getpgid(int(entry.name)) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return 0


@dataclass
class Topology:
    webdav: Child
    workers: list[Child]
    webdav_port: int

    def start(self) -> Topology:
        for child in (self.webdav, *self.workers):
            child.start()
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while not all(child.ready() for child in (self.webdav, *self.workers)):
                if time.monotonic() > deadline:
                    late = [c.name for c in (self.webdav, *self.workers) if not c.ready()]
                    raise TopologyError(f"Pas prêts après {START_TIMEOUT:.0f} s : {late}")
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for child in (self.webdav, *self.workers):
            child.stop()

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
    environment = child_environment({"ENT_WEBDAV_SPOOL_DIR": str(folder / "spool"), **(env or {})})
    port = free_port()
    webdav = Child(
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
    queues = ",".join(q.value for q in CeleryQueue)
    children = []
    for index in range(workers):
        host = hosts[index % len(hosts)]
        name = f"burst{index + 1}@{host}"
        children.append(
            Child(
                name=name,
                args=[
                    # Batch work yields the CPU to deposits and pages, as in the Procfile.
                    "nice",
                    "-n",
                    str(worker_nice),
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "ent",
                    "worker",
                    "-Q",
                    queues,
                    "-c",
                    "1",
                    "-n",
                    name,
                    "-l",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                log_path=folder / f"worker-{index + 1}.log",
                ready_mark=" ready.",
                env=environment,
            )
        )
    return Topology(webdav=webdav, workers=children, webdav_port=port)
