"""From the deposit to the integrated timetable, on a real Celery worker, Redis and PostgreSQL.

The generated sample's directory is loaded, the year is initialised by a manual import, then
automatic deposits go through ``deposit_receive`` and the worker; the sessions in the database
are checked one by one against the sample's own list of expected sessions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ent.models import Session
from imports.models import ImportRun
from tests.imports.celery_harness import CeleryWorker, run_report, wait_for_final
from tests.imports.e2e.scenario import (
    IMPORT_TIMEOUT,
    PARIS,
    SampleOnDisk,
    closed_sessions,
    deposit,
    initialise,
    membership_differences,
    reexport,
    school_group_load,
    sessions_differences,
    udt_reexport,
)

pytestmark = pytest.mark.slow


def test_an_automatic_deposit_before_the_initialisation_waits_for_it(
    worker: CeleryWorker, sample_files: SampleOnDisk
) -> None:
    school_group = school_group_load(sample_files)

    run = deposit(school_group, sample_files.edt_xml)
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]

    assert final.status == ImportRun.Status.WAITING_INITIALISATION, run_report([run.pk])
    assert "import manuel d'initialisation" in final.steps.get(name="initialisation").message
    assert not Session.objects.exists()


def test_initialisation_then_edt_deposit_give_the_sample_sessions(
    worker: CeleryWorker, sample_files: SampleOnDisk, e2e_env: Path
) -> None:
    sample = sample_files.sample
    school_group = school_group_load(sample_files)

    initial = initialise(school_group, sample_files, [worker])
    run = deposit(school_group, reexport(sample_files.edt_xml, e2e_env, "auto"))
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]

    assert final.status == ImportRun.Status.INTEGRATED, run_report([run.pk])
    assert final.mode == ImportRun.Mode.AUTOMATIC
    assert final.counters["sessions_created"] == 0
    assert final.counters["sessions_deleted"] == 0
    assert final.counters["sessions_updated"] == 0
    assert initial.counters["sessions_created"] == Session.objects.count() > 0
    differences = sessions_differences(sample, since=initial.effective_at)
    assert not differences, "\n".join(differences)
    assert closed_sessions(sample) == []
    starts = list(Session.objects.values_list("starts_at", flat=True))
    assert min(starts) >= initial.effective_at
    # Winter and summer time both present, each session at its local time (checked above).
    assert {s.astimezone(PARIS).utcoffset() for s in starts} == {
        dt.timedelta(hours=1),
        dt.timedelta(hours=2),
    }
    assert membership_differences(sample) == []


def test_initialisation_then_undeuxtemps_deposit_give_the_sample_sessions(
    worker: CeleryWorker, sample_files: SampleOnDisk, e2e_env: Path
) -> None:
    sample = sample_files.sample
    school_group = school_group_load(sample_files)

    initial = initialise(school_group, sample_files, [worker], path=sample_files.udt_zip)
    run = deposit(school_group, udt_reexport(sample, e2e_env, "auto"))
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=[worker])[run.pk]

    assert initial.source_format == ImportRun.SourceFormat.UNDEUXTEMPS
    assert final.status == ImportRun.Status.INTEGRATED, run_report([run.pk])
    assert final.counters["sessions_created"] == final.counters["sessions_deleted"] == 0
    assert initial.counters["sessions_created"] == Session.objects.count() > 0
    differences = sessions_differences(sample, since=initial.effective_at)
    assert not differences, "\n".join(differences)
    assert closed_sessions(sample) == []
    assert membership_differences(sample) == []
