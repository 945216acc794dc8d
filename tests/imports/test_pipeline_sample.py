"""A generated cité scolaire (devtools.samples, small preset) imported through the pipeline.

The generator knows, independently of the parsers and of the planning, which dated sessions
its timetable holds; the import must produce exactly those from the import time onwards.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devtools.samples import Sample, SampleFiles, generate_sample, write_sample
from ent.models import Establishment, SchoolGroup, Session
from imports.models import ImportRun
from tests.imports.sample_support import sample_import, sample_school_group

PARIS = ZoneInfo("Europe/Paris")
SAMPLE = generate_sample("small", seed=11, start_year=2026)
NOW = dt.datetime(2026, 11, 17, 12, 30, tzinfo=PARIS)


def _expected(sample: Sample, since: dt.datetime) -> set[tuple[dt.datetime, dt.datetime, str, str]]:
    sessions = set()
    for e in sample.expected_sessions():
        starts = dt.datetime.combine(e.date, e.start, tzinfo=PARIS)
        if starts >= since:
            ends = dt.datetime.combine(e.date, e.end, tzinfo=PARIS)
            sessions.add((starts, ends, e.subject_code, ", ".join(sorted(e.rooms))))
    return sessions


def _stored() -> set[tuple[dt.datetime, dt.datetime, str, str]]:
    return {
        (starts.astimezone(PARIS), ends.astimezone(PARIS), code, room)
        for starts, ends, code, room in Session.objects.values_list(
            "starts_at", "ends_at", "teaching_service__subject__code", "room"
        )
    }


@pytest.fixture
def files(tmp_path: Path) -> SampleFiles:
    return write_sample(SAMPLE, tmp_path)


@pytest.fixture
def group(db: None, files: SampleFiles) -> SchoolGroup:
    return sample_school_group(SAMPLE, files)


def test_the_generated_edt_export_yields_exactly_the_expected_sessions(
    group: SchoolGroup, files: SampleFiles
) -> None:
    run = sample_import(group, files.edt_xml, now=NOW, apply_anyway=True)

    assert run.status == ImportRun.Status.INTEGRATED, [s.message for s in run.steps.all()]
    assert Establishment.objects.filter(school_group=group, uai=SAMPLE.uai).exists()
    expected = _expected(SAMPLE, NOW)
    assert len(expected) > 1000
    assert _stored() == expected
    absent_teachers = sum(1 for kind, _ident in SAMPLE.absent if kind == "teacher")
    assert len(run.bilan["unmatched"]["teachers"]) == absent_teachers
    # Groups and half-classes ("6A GR1") are all found in the directory: none is created.
    assert run.counters["groups_created"] == 0
    assert run.bilan["unmatched"]["groups"] == []


def test_the_generated_undeuxtemps_export_yields_exactly_the_expected_sessions(
    group: SchoolGroup, files: SampleFiles
) -> None:
    run = sample_import(group, files.udt_zip, now=NOW, apply_anyway=True)

    assert run.status == ImportRun.Status.INTEGRATED, [s.message for s in run.steps.all()]
    assert run.source_format == ImportRun.SourceFormat.UNDEUXTEMPS
    assert _stored() == _expected(SAMPLE, NOW)
    # Half-classes come back under their directory names ("6A GR1"): matched, not created.
    assert run.counters["groups_created"] == 0
    assert run.bilan["unmatched"]["groups"] == []


def test_reimporting_the_generated_export_changes_nothing(
    group: SchoolGroup, files: SampleFiles
) -> None:
    sample_import(group, files.edt_xml, now=NOW, apply_anyway=True)
    before = set(Session.objects.values_list("pk", "starts_at", "ends_at", "room"))

    run = sample_import(group, files.edt_xml, now=NOW + dt.timedelta(hours=8))

    assert run.status == ImportRun.Status.INTEGRATED
    assert [t["control"] for t in run.bilan["thresholds"] if t["exceeded"]] == []
    assert (run.counters["sessions_created"], run.counters["sessions_deleted"]) == (0, 0)
    assert run.counters["groups_created"] == 0
    assert set(Session.objects.values_list("pk", "starts_at", "ends_at", "room")) == before
