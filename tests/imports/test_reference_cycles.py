"""An import run leaves no reference cycle behind: its objects go as soon as it is done.

The runner pauses the cycle collector while a run builds its model (pipeline
``_collector_paused``); whatever the run leaves in reference cycles (the parsed timetable,
the plan) waits for the next collection, which then has to find and free it all.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator

import pytest

from imports.models import ImportRun
from tests.imports.pipeline_support import (
    NOW,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
)

__all__ = ["school"]

# What a run builds: the parser's records, the timetable, the matching and the plan.
RUN_TYPES = {
    "_PayloadReader",
    "_RawStudent",
    "_RawCourse",
    "Enrolment",
    "Student",
    "Course",
    "Timetable",
    "MatchResult",
    "Plan",
    "PlannedService",
    "PlannedSession",
    "Diff",
}


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector as the runner does; restore it and drop what was saved."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


@pytest.mark.django_db(transaction=True)
def test_a_reimport_leaves_its_timetable_and_plan_to_reference_counting(
    school: School, collector_paused: None
) -> None:
    initialise(school)
    steady = run_import(school, edt_file() + b"<!-- 1 -->", now=NOW + dt.timedelta(hours=1))
    assert steady.status == ImportRun.Status.INTEGRATED
    gc.collect()  # the setup's own garbage

    run = run_import(
        school,
        edt_file(moved(default_courses(), 0, room=5)),
        now=NOW + dt.timedelta(hours=2),
    )

    assert run.status == ImportRun.Status.INTEGRATED
    assert run.counters["sessions_updated"] > 0
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    found = {type(o).__name__ for o in gc.garbage}
    assert not found & RUN_TYPES
