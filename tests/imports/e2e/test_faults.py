"""Fault tolerance of the import pipeline on a real worker, Redis and PostgreSQL (design §8).

Racing deposits, a worker SIGKILLed in the middle of the apply step, the broker unreachable
when a deposit arrives, and a task delivered twice: no deposit is lost, nothing is
half-applied, and processing resumes by itself (the sweep).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import transaction

from imports.models import ImportRun, ImportStep
from imports.services.queue import import_queue_position
from imports.tasks import import_run_execute_task, import_run_sweep_task
from tests.imports.celery_harness import (
    CeleryWorker,
    backends_alive,
    backends_terminate,
    backends_waiting_on,
    deposit_in_subprocess,
    free_port,
    run_report,
    table_locked,
    wait_for_final,
    wait_until,
)
from tests.imports.e2e.conftest import WorkerStarter
from tests.imports.e2e.scenario import (
    IMPORT_TIMEOUT,
    SampleOnDisk,
    deposit,
    initialise,
    reexport,
    school_group_load,
    sessions_differences,
    timetable_state,
)

pytestmark = pytest.mark.slow
PARK_TIMEOUT = 60.0
STALE_SECONDS = 1


def _parked_in_apply(run: ImportRun, table: str) -> list[int]:
    """Return the worker backends blocked writing ``table`` while ``run`` is in its apply step."""
    run.refresh_from_db()
    if run.status != ImportRun.Status.RUNNING or run.current_step != "application":
        return []
    return backends_waiting_on(table)


def _initialise_parked_in_apply(
    worker: CeleryWorker, school_group: object, sample_files: SampleOnDisk, table: str
) -> tuple[ImportRun, list[int]]:
    """Deposit the initialisation and wait until it waits on ``table`` (locked by the caller)
    inside its apply transaction; return the run and the worker's blocked backends."""
    run = deposit(school_group, sample_files.edt_xml, mode=ImportRun.Mode.MANUAL, apply_anyway=True)
    parked = wait_until(
        lambda: _parked_in_apply(run, table),
        timeout=PARK_TIMEOUT,
        what=f"the import to wait on {table} inside its apply transaction",
        report=worker.log_report,
    )
    return run, parked  # type: ignore[return-value]


def test_racing_deposits_run_once_and_the_older_waiting_one_is_superseded(
    start_worker: WorkerStarter, sample_files: SampleOnDisk, e2e_env: Path
) -> None:
    worker = start_worker(concurrency=2)
    school_group = school_group_load(sample_files)
    initialise(school_group, sample_files, [worker])
    older = reexport(sample_files.edt_xml, e2e_env, "older")
    newer = reexport(sample_files.edt_xml, e2e_env, "newer")

    # One commit: both tasks reach the broker together, two pool processes take them.
    with transaction.atomic():
        first = deposit(school_group, older)
        second = deposit(school_group, newer)
    runs = wait_for_final([first.pk, second.pk], timeout=IMPORT_TIMEOUT, workers=[worker])

    assert runs[first.pk].status == ImportRun.Status.SUPERSEDED, run_report([first.pk])
    assert runs[first.pk].started_at is None
    step = runs[first.pk].steps.get()
    assert step.outcome == ImportStep.Outcome.INTERRUPTED
    assert f"import n° {second.pk}" in step.message
    assert runs[second.pk].status == ImportRun.Status.INTEGRATED, run_report([second.pk])
    assert runs[second.pk].attempts == 1


def test_a_deposit_arriving_during_an_import_waits_then_runs_after_it(
    start_worker: WorkerStarter, sample_files: SampleOnDisk, e2e_env: Path
) -> None:
    worker = start_worker(concurrency=2)
    school_group = school_group_load(sample_files)

    with table_locked("ent_session"):
        running, _parked = _initialise_parked_in_apply(
            worker, school_group, sample_files, "ent_session"
        )
        waiting = deposit(school_group, reexport(sample_files.edt_xml, e2e_env, "meanwhile"))
        # The second pool process takes the new task, finds the group busy, and leaves.
        wait_until(
            lambda: " succeeded in " in worker.log_text(),
            timeout=30,
            what="the second task to find the school group busy",
            report=worker.log_report,
        )
        waiting.refresh_from_db()
        assert waiting.status == ImportRun.Status.RECEIVED
        assert import_queue_position(run=waiting) == 1
        assert ImportRun.objects.filter(status=ImportRun.Status.RUNNING).count() == 1
    runs = wait_for_final([running.pk, waiting.pk], timeout=IMPORT_TIMEOUT, workers=[worker])

    assert runs[running.pk].status == ImportRun.Status.INTEGRATED
    assert runs[waiting.pk].status == ImportRun.Status.INTEGRATED, run_report([waiting.pk])
    assert runs[waiting.pk].started_at >= runs[running.pk].finished_at
    assert runs[waiting.pk].counters["sessions_created"] == 0


def test_a_worker_killed_in_the_apply_step_leaves_nothing_and_the_sweep_resumes_the_import(
    start_worker: WorkerStarter, sample_files: SampleOnDisk
) -> None:
    stale = {"IMPORT_STALE_AFTER_SECONDS": str(STALE_SECONDS)}
    first_worker = start_worker(env=stale)
    school_group = school_group_load(sample_files)
    before = timetable_state()

    with table_locked("ent_session"):
        run, orphans = _initialise_parked_in_apply(
            first_worker, school_group, sample_files, "ent_session"
        )
        first_worker.kill()
    # Released, the orphaned backend finds its client gone and rolls the transaction back.
    wait_until(
        lambda: not backends_alive(orphans),  # type: ignore[arg-type]
        timeout=30,
        what="the killed worker's database backend to end",
    )
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING
    assert run.attempts == 1
    assert timetable_state() == before

    second_worker = start_worker(env=stale)
    time.sleep(STALE_SECONDS + 0.5)
    import_run_sweep_task.delay()
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[second_worker])[run.pk]

    assert final.status == ImportRun.Status.INTEGRATED, run_report([run.pk])
    assert final.attempts == 2
    assert "abandoned by its worker: requeued" in second_worker.log_text()
    assert timetable_state()["sessions"] == final.counters["sessions_created"] > 0
    differences = sessions_differences(sample_files.sample, since=final.effective_at)
    assert not differences, "\n".join(differences)


def test_a_pool_process_killed_in_the_apply_step_is_replaced_and_the_import_resumes(
    start_worker: WorkerStarter, sample_files: SampleOnDisk
) -> None:
    worker = start_worker(env={"IMPORT_STALE_AFTER_SECONDS": str(STALE_SECONDS)})
    school_group = school_group_load(sample_files)
    before = timetable_state()

    with table_locked("ent_session"):
        run, orphans = _initialise_parked_in_apply(
            worker, school_group, sample_files, "ent_session"
        )
        worker.kill_pool_processes()
        # acks_late + reject_on_worker_lost: the message goes back to the queue, a new pool
        # process takes it, finds the run RUNNING (compare-and-set) and leaves it alone.
        wait_until(
            lambda: " succeeded in " in worker.log_text(),
            timeout=30,
            what="the redelivered task to find the run already claimed",
            report=worker.log_report,
        )
    wait_until(
        lambda: not backends_alive(orphans),  # type: ignore[arg-type]
        timeout=30,
        what="the killed pool process's database backend to end",
    )
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING
    assert timetable_state() == before

    time.sleep(STALE_SECONDS + 0.5)
    import_run_sweep_task.delay()
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]

    assert final.status == ImportRun.Status.INTEGRATED, run_report([run.pk])
    assert final.attempts == 2
    assert worker.alive
    assert "WorkerLostError" in worker.log_text()
    differences = sessions_differences(sample_files.sample, since=final.effective_at)
    assert not differences, "\n".join(differences)


def test_a_deposit_while_the_broker_is_down_is_kept_and_the_sweep_enqueues_it_later(
    worker: CeleryWorker, sample_files: SampleOnDisk, e2e_env: Path
) -> None:
    school_group = school_group_load(sample_files)
    initialise(school_group, sample_files, [worker])
    path = reexport(sample_files.edt_xml, e2e_env, "broker-down")
    closed = f"redis://127.0.0.1:{free_port()}/5"

    outcome = deposit_in_subprocess(
        school_group_id=school_group.pk,
        path=path,
        mode=ImportRun.Mode.AUTOMATIC,
        env={"REDIS_URL": closed},
    )

    assert outcome["error"] is None, outcome
    run = ImportRun.objects.get(pk=outcome["run_id"])
    assert run.status == ImportRun.Status.RECEIVED
    with run.file.open("rb") as stored:
        assert stored.read() == path.read_bytes()
    time.sleep(1)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RECEIVED  # no message reached the broker

    import_run_sweep_task.delay()  # the broker is back: the periodic sweep runs
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]

    assert final.status == ImportRun.Status.INTEGRATED, run_report([run.pk])


def test_a_task_delivered_several_times_imports_once(
    start_worker: WorkerStarter, sample_files: SampleOnDisk, e2e_env: Path
) -> None:
    worker = start_worker(concurrency=2)
    school_group = school_group_load(sample_files)
    initialise(school_group, sample_files, [worker])
    sessions = timetable_state()["sessions"]

    run = deposit(school_group, reexport(sample_files.edt_xml, e2e_env, "twice"))
    import_run_execute_task.delay(import_run_id=run.pk)
    import_run_execute_task.delay(import_run_id=run.pk)
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]
    wait_until(
        lambda: worker.log_text().count(" succeeded in ") >= 4,  # initialisation + 3 deliveries
        timeout=30,
        what="every delivery of the task to be processed",
        report=worker.log_report,
    )
    steps = list(final.steps.values_list("position", "name"))
    finished_at = final.finished_at
    import_run_execute_task.delay(import_run_id=run.pk)  # late redelivery, run already final
    wait_until(
        lambda: worker.log_text().count(" succeeded in ") >= 5,
        timeout=30,
        what="the late redelivery to be processed",
        report=worker.log_report,
    )
    final.refresh_from_db()

    assert final.status == ImportRun.Status.INTEGRATED
    assert final.attempts == 1
    assert final.finished_at == finished_at
    assert list(final.steps.values_list("position", "name")) == steps
    assert timetable_state()["sessions"] == sessions


@pytest.mark.parametrize(
    "table",
    [
        pytest.param("ent_teachingservice", id="orm-write"),
        pytest.param("ent_session", id="copy-write"),
    ],
)
def test_a_database_connection_lost_in_the_apply_step_rolls_back_and_the_import_resumes(
    start_worker: WorkerStarter, sample_files: SampleOnDisk, table: str
) -> None:
    worker = start_worker(env={"IMPORT_STALE_AFTER_SECONDS": str(STALE_SECONDS)})
    school_group = school_group_load(sample_files)
    before = timetable_state()

    with table_locked(table):
        run, parked = _initialise_parked_in_apply(worker, school_group, sample_files, table)
        backends_terminate(parked)  # type: ignore[arg-type]  # as a failover would
        wait_until(
            lambda: " succeeded in " in worker.log_text(),
            timeout=30,
            what="the task to end after losing its database connection",
            report=worker.log_report,
        )
    run.refresh_from_db()
    assert timetable_state() == before
    assert run.status == ImportRun.Status.RECEIVED, run_report([run.pk])  # transient: requeued

    import_run_sweep_task.delay()
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]

    assert final.status == ImportRun.Status.INTEGRATED, run_report([run.pk])
    assert final.attempts == 2
    assert "transient database error" in worker.log_text()
    differences = sessions_differences(sample_files.sample, since=final.effective_at)
    assert not differences, "\n".join(differences)
