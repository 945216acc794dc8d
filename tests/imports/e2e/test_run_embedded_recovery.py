"""``run_embedded`` recovers an import whose worker was killed with ``kill -9`` mid-import.

The worker is parked inside its apply transaction (a table lock held by the test), then
killed; the supervisor restarts it, beat's sweep requeues the abandoned run and the new
worker integrates it. PostgreSQL and Redis are needed to park the worker at a known point.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from imports.models import ImportRun
from tests.ent.embedded import Embedded
from tests.imports.celery_harness import (
    backends_alive,
    backends_waiting_on,
    table_locked,
    wait_until,
)
from tests.imports.e2e.scenario import (
    IMPORT_TIMEOUT,
    SampleOnDisk,
    deposit,
    school_group_load,
    timetable_state,
)

pytestmark = pytest.mark.slow
TABLE = "ent_session"


def test_a_worker_killed_mid_import_is_restarted_and_the_run_ends_integrated_after_the_sweep(
    e2e_env: Path, sample_files: SampleOnDisk
) -> None:
    embedded = Embedded(
        var_dir=e2e_env / "var",
        env={"IMPORT_STALE_AFTER_SECONDS": "1", "ENT_SWEEP_INTERVAL_SECONDS": "2"},
    )
    try:
        embedded.start()
        school_group = school_group_load(sample_files)
        before = timetable_state()

        with table_locked(TABLE):
            run = deposit(
                school_group, sample_files.edt_xml, mode=ImportRun.Mode.MANUAL, apply_anyway=True
            )

            def parked() -> list[int]:
                run.refresh_from_db()
                if run.status != ImportRun.Status.RUNNING or run.current_step != "application":
                    return []
                return backends_waiting_on(TABLE)

            blocked = wait_until(parked, timeout=90, what="the import to park in its apply step")
            os.kill(embedded.children()["worker"], signal.SIGKILL)
            embedded.wait_for(lambda log: "redémarré" in log, "the worker to be restarted")
        # Released, the orphaned backend finds its client gone and rolls the transaction back.
        wait_until(
            lambda: not backends_alive(blocked),  # type: ignore[arg-type]
            timeout=30,
            what="the killed worker's database backend to end",
        )

        final = wait_until(
            lambda: ImportRun.objects.filter(
                pk=run.pk, status__in=ImportRun.FINAL_STATUSES
            ).first(),
            timeout=IMPORT_TIMEOUT,
            what="the run to end after the sweep",
            report=lambda: embedded.log()[-6000:],
        )

        assert final.status == ImportRun.Status.INTEGRATED, embedded.log()[-6000:]  # type: ignore[union-attr]
        assert final.attempts == 2  # type: ignore[union-attr]
        # Nothing of the killed attempt was left: the sessions are those of the second one.
        created = final.counters["sessions_created"]  # type: ignore[union-attr]
        assert timetable_state()["sessions"] == before["sessions"] + created > 0
        assert "Le worker Celery s'est arrêté (code -9)" in embedded.log()
        assert "abandoned by its worker: requeued" in embedded.log()
    finally:
        embedded.kill()
