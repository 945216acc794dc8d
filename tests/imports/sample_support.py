"""A school group loaded from a generated sample, and imports of the sample's files into it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from devtools.samples import SampleFiles
from ent.models import SchoolGroup, SchoolYear
from ent.services.directory import aaf_import
from imports.models import ImportRun
from imports.services.deposits import deposit_receive
from imports.services.queue import import_queue_process


def sample_school_group(sample: Any, files: SampleFiles) -> SchoolGroup:
    """Create a school group with the sample's AAF directory and its school year."""
    group = SchoolGroup.objects.create(name="Cité scolaire générée")
    aaf_import(folder=files.aaf_dir, school_group=group)
    year = sample.timetable.year
    SchoolYear.objects.create(school_group=group, start_date=year.start, end_date=year.end)
    return group


def sample_import(
    group: SchoolGroup, path: Path, *, now: dt.datetime, **fields: object
) -> ImportRun:
    """Deposit ``path`` for the whole group as a manual import, set ``fields`` on the run,
    process the queue at ``now`` and return the run, refreshed."""
    with path.open("rb") as stream:
        run = deposit_receive(
            school_group=group,
            establishment=None,
            filename=path.name,
            stream=stream,
            deposited_by_id=None,
            mode=ImportRun.Mode.MANUAL,
            now=now,
        )
    if fields:
        ImportRun.objects.filter(pk=run.pk).update(**fields)
    import_queue_process(school_group_id=group.pk, clock=lambda: now)
    run.refresh_from_db()
    return run
