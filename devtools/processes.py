"""Child processes sharing this process's database, Redis and files: Celery workers, servers.

One helper for the burst benchmark's topology (:mod:`devtools.burst.topology`) and the
end-to-end tests' workers (``tests/imports/celery_harness.py``): the environment a child
needs to use the same PostgreSQL database (the test database under pytest), Redis and media
folder; the ``celery worker`` command line; and :class:`ChildProcess`, a subprocess leading
its own process group (so it can be stopped or SIGKILLed as a whole, like a crashed host)
that writes to a log file and is ready once a given line appears there.

Development tooling only: production code never imports :mod:`devtools`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from ent.celery import CeleryQueue

WORKER_READY_MARK = " ready."
ALL_QUEUES = tuple(queue.value for queue in CeleryQueue)
POLL_SECONDS = 0.1
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ChildNotReady(RuntimeError):
    """A child process exited, or did not write its ready line in time; the log tail says why."""


def database_url() -> str:
    """A ``DATABASE_URL`` for the database this process uses (the test database under pytest)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def child_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child sharing this process's database, Redis and files."""
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
    env.update(overrides or {})
    return env


def free_port() -> int:
    """A local TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def celery_worker_command(
    *,
    name: str,
    concurrency: int = 1,
    queues: Iterable[str] = ALL_QUEUES,
    nice: int | None = None,
) -> list[str]:
    """``celery -A ent worker`` as the Procfile runs it (prefork pool, every queue).

    ``nice`` lowers its priority, as the Procfile does so that deposits and pages come first.
    """
    return [
        *(["nice", "-n", str(nice)] if nice is not None else []),
        sys.executable,
        "-m",
        "celery",
        "-A",
        "ent",
        "worker",
        "-Q",
        ",".join(queues),
        "--pool=prefork",
        "-c",
        str(concurrency),
        "-n",
        name,
        "-l",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time ``pid`` has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # Fields after the command name (which may hold spaces): utime and stime are the
            # 14th and 15th fields of the line.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class ChildProcess:
    """A subprocess leading its own process group, its output appended to ``log_path``."""

    name: str
    args: list[str]
    log_path: Path
    ready_mark: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log_offset: int = field(default=0, repr=False)

    def start(self) -> ChildProcess:
        """Start the process (without waiting: see :meth:`ready` and :meth:`wait_ready`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Only what this start writes counts: an earlier run's ready line is not this one's.
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.args,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        """Whether the ready line was written; raises :class:`ChildNotReady` if it exited."""
        if self.process is not None and self.process.poll() is not None:
            raise ChildNotReady(
                f"{self.name} s'est arrêté (code {self.process.returncode}) :\n{self.log_tail()}"
            )
        return self.ready_mark in self.log_text()

    def wait_ready(self, timeout: float) -> ChildProcess:
        """Wait for the ready line; kill the process and raise :class:`ChildNotReady` after
        ``timeout`` seconds or when it exits first."""
        wait_all_ready([self], timeout=timeout)
        return self

    def pids(self) -> list[int]:
        """The process group: the main process and its children (a worker's pool)."""
        if self.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError):
                if os.getpgid(int(entry.name)) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the whole group at once, like a crashed host."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the group (a warm shutdown); SIGKILL what is left after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)
        self.kill()

    def log_text(self) -> str:
        """What the process wrote since :meth:`start`."""
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_text()
        return "…" + text[-chars:] if len(text) > chars else text


def wait_all_ready(children: Iterable[ChildProcess], *, timeout: float) -> None:
    """Wait until every child wrote its ready line; on failure kill them all and raise."""
    started = list(children)
    waiting = started
    deadline = time.monotonic() + timeout
    try:
        while waiting:
            waiting = [child for child in waiting if not child.ready()]
            if waiting and time.monotonic() > deadline:
                late = ", ".join(child.name for child in waiting)
                tails = "\n".join(f"--- {c.name} ---\n{c.log_tail()}" for c in waiting)
                raise ChildNotReady(f"Pas prêts après {timeout:.0f} s : {late}\n{tails}")
            if waiting:
                time.sleep(POLL_SECONDS)
    except BaseException:
        for child in started:
            child.kill()
        raise
