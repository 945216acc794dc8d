"""A real Celery worker for end-to-end tests: Redis broker, the pytest-django PostgreSQL database.

:class:`CeleryWorker` starts ``celery -A ent worker`` as a subprocess (its own process group,
so it can be stopped or SIGKILLed as a whole, like a crashed host), pointed at the database
pytest-django created (``connection.settings_dict["NAME"]``) and at the Redis database of
``REDIS_URL``. It waits for the worker's ``ready.`` line in its log file and shows the log
when something goes wrong.

The worker reads the same database rows as the test, so tests that use it need
``transactional_db`` (a test transaction would hide the rows from the worker).

Without ``DATABASE_URL``/``REDIS_URL`` (SQLite mode) :func:`require_real_services` skips,
except on CI (``CI=true``), where it fails: CI has both servers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from psycopg import sql

from devtools.processes import (
    WORKER_READY_MARK,
    ChildNotReady,
    ChildProcess,
    celery_worker_command,
    child_environment,
)
from devtools.processes import free_port as free_port  # the end-to-end tests import it here
from imports.models import ImportRun

BASE_DIR = Path(settings.BASE_DIR)
LOG_TAIL_CHARS = 6000
POLL_SECONDS = 0.1


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_real_services() -> None:
    """Skip (fail on CI) unless PostgreSQL and Redis are configured and answer."""
    problem = _services_problem()
    if problem is None:
        return
    message = f"Real Celery worker tests need PostgreSQL and Redis: {problem}"
    if on_ci():
        pytest.fail(message)
    pytest.skip(message)


def _services_problem() -> str | None:
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        return "DATABASE_URL and REDIS_URL must both be set (SQLite/filesystem mode)"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL is not a PostgreSQL URL"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at REDIS_URL does not answer ({error})"
    return None


def redis_flush() -> None:
    """Empty the Redis database of ``REDIS_URL`` (only that one: never FLUSHALL)."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def process_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a child process sharing the test's database, Redis and files."""
    # A killed worker must not keep a pooled connection in the way of the test's flush.
    return child_environment({"DATABASE_CONN_MAX_AGE": "0", **(overrides or {})})


@dataclass
class CeleryWorker:
    """One ``celery worker`` subprocess; ``env`` overrides the inherited environment."""

    log_path: Path
    concurrency: int = 1
    env: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:8]}@%h")
    child: ChildProcess | None = None

    def start(self, *, timeout: float = 60.0) -> CeleryWorker:
        """Start the worker and wait for its ``ready.`` line; fail with its log otherwise."""
        self.child = ChildProcess(
            name="Celery worker",
            args=celery_worker_command(name=self.name, concurrency=self.concurrency),
            log_path=self.log_path,
            ready_mark=WORKER_READY_MARK,
            env=process_environment(self.env),
        ).start()
        try:
            self.child.wait_ready(timeout)
        except ChildNotReady as error:
            pytest.fail(f"{error}\n{self.log_report()}")
        return self

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.child.process if self.child is not None else None

    @property
    def alive(self) -> bool:
        return self.child is not None and self.child.alive

    def pids(self) -> list[int]:
        """Return the pids of the worker's process group (main process and pool children)."""
        return self.child.pids() if self.child is not None else []

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), like a crashed host."""
        if self.child is not None:
            self.child.kill()

    def kill_pool_processes(self) -> list[int]:
        """SIGKILL the pool's child processes only (as the OOM killer would); return their pids."""
        assert self.process is not None
        children = [pid for pid in self.pids() if pid != self.process.pid]
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        return children

    def stop(self, *, timeout: float = 15.0) -> None:
        """Ask for a warm shutdown; SIGKILL what is left after ``timeout``."""
        if self.child is not None:
            self.child.stop(timeout=timeout)

    def log_text(self) -> str:
        """Return what this worker wrote since it was started."""
        return self.child.log_text() if self.child is not None else ""

    def log_report(self) -> str:
        text = self.log_text()
        if len(text) > LOG_TAIL_CHARS:
            text = "…" + text[-LOG_TAIL_CHARS:]
        return f"--- celery worker log ({self.log_path}) ---\n{text}\n--- end of worker log ---"


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    report: Callable[[], str] = lambda: "",
    interval: float = POLL_SECONDS,
) -> object:
    """Poll ``condition`` until it returns something true; fail saying ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.\n{report()}")
        time.sleep(interval)


def run_report(run_ids: Iterable[int]) -> str:
    """Describe runs and their steps, for failure messages."""
    lines = []
    for run in ImportRun.objects.filter(pk__in=list(run_ids)).order_by("pk"):
        lines.append(
            f"run {run.pk}: {run.status} mode={run.mode} step={run.current_step!r} "
            f"attempts={run.attempts} started={run.started_at} finished={run.finished_at}"
        )
        lines.extend(
            f"    {s.position}. {s.name} {s.outcome}: {s.message} {s.details[:5]}"
            for s in run.steps.all()
        )
    return "\n".join(lines)


def wait_for_final(
    run_ids: Iterable[int],
    *,
    timeout: float,
    workers: Iterable[CeleryWorker] = (),
) -> dict[int, ImportRun]:
    """Wait until every run is in a final status; return them by id."""
    ids = list(run_ids)
    workers = list(workers)

    def finals() -> dict[int, ImportRun] | None:
        runs = {r.pk: r for r in ImportRun.objects.filter(pk__in=ids)}
        if len(runs) == len(ids) and all(r.is_final for r in runs.values()):
            return runs
        return None

    return wait_until(  # type: ignore[return-value]
        finals,
        timeout=timeout,
        what=f"import runs {ids} to reach a final status",
        report=lambda: run_report(ids) + "\n" + "\n".join(w.log_report() for w in workers),
    )


def _psycopg_connect(*, autocommit: bool) -> psycopg.Connection[tuple[object, ...]]:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or None,
        autocommit=autocommit,
    )


@contextmanager
def table_locked(table: str) -> Iterator[None]:
    """Hold ``LOCK TABLE … IN EXCLUSIVE MODE`` from another connection while inside.

    Readers go on; every writer of ``table`` waits at its first write, inside its own
    transaction: a way to park a worker at a known point of the apply step.
    """
    with _psycopg_connect(autocommit=False) as conn:
        conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.Identifier(table)))
        try:
            yield
        finally:
            conn.rollback()


def backends_waiting_on(table: str) -> list[int]:
    """Return the pids of the test database's backends waiting for a lock to write ``table``."""
    with _psycopg_connect(autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            (f"%{table}%",),
        ).fetchall()
    return [int(row[0]) for row in rows]


def backends_terminate(pids: Iterable[int]) -> None:
    """Terminate database backends, as a database restart or a failover would."""
    with _psycopg_connect(autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (list(pids),)
        )


def backends_alive(pids: Iterable[int]) -> list[int]:
    """Return which of ``pids`` are still backends of the test database."""
    with _psycopg_connect(autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)
        ).fetchall()
    return [int(row[0]) for row in rows]


_DEPOSIT_SCRIPT = """
import json, sys
import django
django.setup()
from django.utils import timezone
from ent.models import SchoolGroup
from imports.services.deposits import deposit_receive
args = json.loads(sys.argv[1])
outcome = {"run_id": None, "error": None}
try:
    with open(args["path"], "rb") as stream:
        run = deposit_receive(
            school_group=SchoolGroup.objects.get(pk=args["school_group_id"]),
            establishment=None,
            filename=args["filename"],
            stream=stream,
            deposited_by_id=None,
            mode=args["mode"],
            now=timezone.now(),
        )
    outcome["run_id"] = run.pk
except Exception as error:
    outcome["error"] = f"{type(error).__module__}.{type(error).__name__}: {error}"
print(json.dumps(outcome))
"""


def deposit_in_subprocess(
    *, school_group_id: int, path: Path, mode: str, env: dict[str, str]
) -> dict[str, object]:
    """Call ``deposit_receive`` in another process (e.g. a web process whose broker is down).

    Returns ``{"run_id": …, "error": …}``: what the call returned or raised.
    """
    args = {
        "school_group_id": school_group_id,
        "path": str(path),
        "filename": path.name,
        "mode": mode,
    }
    done = subprocess.run(
        [sys.executable, "-c", _DEPOSIT_SCRIPT, json.dumps(args)],
        cwd=BASE_DIR,
        env=process_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        pytest.fail(f"Deposit subprocess failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(lines[-1])
