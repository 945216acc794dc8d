"""Fixtures for end-to-end import tests on a real Celery worker, Redis and PostgreSQL.

``start_worker`` starts workers (see :mod:`tests.imports.celery_harness`); a failed test shows
their logs. Each test gets its own media folder, shared with its workers, and an empty Redis
database; at teardown the workers are stopped and the database connections they left behind
(a SIGKILLed worker's backend) are closed so that pytest-django can empty the tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.imports.celery_harness import CeleryWorker, redis_flush, require_real_services
from tests.imports.e2e.scenario import SampleOnDisk, sample_write

WorkerStarter = Callable[..., CeleryWorker]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for worker in getattr(item, "celery_workers", []):
            report.sections.append((f"celery worker {worker.name}", worker.log_report()))


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> SampleOnDisk:
    """The small generated sample, written once per session (AAF folder, EDT, UDT)."""
    return sample_write(tmp_path_factory.mktemp("sample"))


@pytest.fixture
def e2e_env(transactional_db: None, settings: object, tmp_path: Path) -> Iterator[Path]:
    """Give the test (and its workers) their own media folder and an empty Redis database.

    The Redis database is shared by every test process (pytest-xdist): a file lock runs the
    tests that start workers one at a time, so no worker takes another test's tasks.
    """
    require_real_services()
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]
    lock_path = Path(django_settings.VAR_DIR) / "celery-e2e.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            redis_flush()
            yield tmp_path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def start_worker(e2e_env: Path, request: pytest.FixtureRequest) -> Iterator[WorkerStarter]:
    workers: list[CeleryWorker] = []
    request.node.celery_workers = workers

    def start(
        *, concurrency: int = 1, env: dict[str, str] | None = None, timeout: float = 60.0
    ) -> CeleryWorker:
        worker = CeleryWorker(
            log_path=e2e_env / f"worker-{len(workers) + 1}.log",
            concurrency=concurrency,
            env=dict(env or {}),
        )
        workers.append(worker)
        return worker.start(timeout=timeout)

    yield start
    # Nothing of a finished test's worker is worth a warm shutdown: its queue is flushed next.
    for worker in workers:
        worker.kill()
    _close_foreign_connections()


@pytest.fixture
def worker(start_worker: WorkerStarter) -> CeleryWorker:
    return start_worker()


def _close_foreign_connections() -> None:
    """Terminate the test database's other backends (left by killed workers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
