"""Arrange and check helpers shared by the end-to-end import tests.

A scenario loads a generated sample's AAF directory into a new school group, declares the
sample's school year, and deposits its timetable files the way the product does
(:func:`imports.services.deposits.deposit_receive`, enqueued after commit); a real worker then
processes them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from devtools.samples import ExpectedSession, Sample, generate_sample, write_sample
from ent.models import (
    GroupMembership,
    SchoolGroup,
    SchoolYear,
    Session,
    Subject,
    TeachingGroup,
    TeachingService,
)
from ent.services.directory import aaf_import
from imports.models import ImportRun
from imports.services.deposits import deposit_receive
from tests.imports.celery_harness import CeleryWorker, wait_for_final

PARIS = ZoneInfo("Europe/Paris")

SMALL_PRESET = "small"
SAMPLE_SEED = 20260901
IMPORT_TIMEOUT = 60.0


@dataclass(frozen=True)
class SampleOnDisk:
    sample: Sample
    aaf_dir: Path
    edt_xml: Path
    udt_zip: Path


def sample_write(folder: Path, *, preset: str = SMALL_PRESET) -> SampleOnDisk:
    """Generate the sample and write its AAF folder, EDT export and UDT zip under ``folder``."""
    sample = generate_sample(preset, seed=SAMPLE_SEED)
    files = write_sample(sample, folder)
    return SampleOnDisk(
        sample=sample, aaf_dir=files.aaf_dir, edt_xml=files.edt_xml, udt_zip=files.udt_zip
    )


def school_group_load(files: SampleOnDisk) -> SchoolGroup:
    """Create a school group from the sample's AAF directory and declare its school year."""
    school_group = SchoolGroup.objects.create(name="Cité scolaire de bout en bout")
    aaf_import(folder=files.aaf_dir, school_group=school_group)
    year = files.sample.timetable.year
    SchoolYear.objects.create(school_group=school_group, start_date=year.start, end_date=year.end)
    return school_group


def deposit(
    school_group: SchoolGroup,
    path: Path,
    *,
    mode: str = ImportRun.Mode.AUTOMATIC,
    apply_anyway: bool = False,
) -> ImportRun:
    """Deposit ``path`` as the WebDAV server does; the task is sent when this commits."""
    with transaction.atomic(), path.open("rb") as stream:
        run = deposit_receive(
            school_group=school_group,
            establishment=None,
            filename=path.name,
            stream=stream,
            deposited_by_id=None,
            mode=mode,
            now=timezone.now(),
        )
        if apply_anyway:
            # The wizard's "confirm despite the thresholds": a first import creates everything.
            run.apply_anyway = True
            run.save(update_fields=["apply_anyway"])
    return run


def initialise(
    school_group: SchoolGroup,
    files: SampleOnDisk,
    workers: Iterable[CeleryWorker],
    *,
    path: Path | None = None,
) -> ImportRun:
    """Run the year's manual initialisation import on the worker; return it INTEGRATED."""
    path = path or files.edt_xml
    run = deposit(school_group, path, mode=ImportRun.Mode.MANUAL, apply_anyway=True)
    final = wait_for_final([run.pk], timeout=IMPORT_TIMEOUT, workers=workers)[run.pk]
    assert final.status == ImportRun.Status.INTEGRATED, final.bilan.get("text", "")
    return final


def reexport(path: Path, folder: Path, tag: str) -> Path:
    """Return a copy of the XML export at ``path`` with other bytes and the same content.

    Like a new export of an unchanged timetable, it is not a byte-for-byte duplicate.
    """
    copy = folder / f"{tag}-{path.name}"
    shutil.copyfile(path, copy)
    with copy.open("ab") as stream:
        stream.write(f"\n<!-- export {tag} -->\n".encode())
    return copy


def udt_reexport(sample: Sample, folder: Path, tag: str) -> Path:
    """Return a new UnDeuxTEMPS publication of the sample, an hour after the first one."""
    later = replace(sample, exported_at=sample.exported_at + dt.timedelta(hours=1))
    return write_sample(later, folder / tag).udt_zip


def timetable_state() -> dict[str, int]:
    """Count what an import writes (to prove nothing was half-applied)."""
    return {
        "subjects": Subject.objects.count(),
        "services": TeachingService.objects.count(),
        "sessions": Session.objects.count(),
        "timetable_groups": TeachingGroup.objects.filter(
            source=TeachingGroup.Source.TIMETABLE
        ).count(),
        "timetable_memberships": GroupMembership.objects.filter(
            source=GroupMembership.Source.TIMETABLE
        ).count(),
    }


# --- checking the integrated timetable against the sample ------------------------------

_Key = tuple[dt.datetime, dt.datetime, str, tuple[str, ...], str]


@dataclass(frozen=True)
class _Found:
    teachers: frozenset[str]  # AAF jointures
    groups: frozenset[str]  # group codes


def sessions_differences(sample: Sample, *, since: dt.datetime, limit: int = 20) -> list[str]:
    """Compare the database's timetable sessions with ``sample.expected_sessions()``.

    Expected: every sample session starting at or after ``since`` (the import time), at its
    date and times in Europe/Paris, with its subject, classes, room, the teachers the
    directory knows and its groups (a class part may be found as the directory's half-group
    or created under the part's name). Returns the differences found, up to ``limit``.
    """
    expected = _expected_by_key(sample, since)
    found = _found_by_key()
    problems = [
        f"missing: {key[0]:%Y-%m-%d %H:%M} {key[2]} {key[3]} {key[4]}"
        for key in sorted(expected.keys() - found.keys())
    ]
    problems += [
        f"unexpected: {key[0]:%Y-%m-%d %H:%M} {key[2]} {key[3]} {key[4]}"
        for key in sorted(found.keys() - expected.keys())
    ]
    for key in sorted(expected.keys() & found.keys()):
        problems += _compare(sample, key, expected[key], found[key])
    return problems[:limit]


def _expected_by_key(sample: Sample, since: dt.datetime) -> dict[_Key, list[ExpectedSession]]:
    by_key: dict[_Key, list[ExpectedSession]] = defaultdict(list)
    for session in sample.expected_sessions():
        starts_at = dt.datetime.combine(session.date, session.start, tzinfo=PARIS)
        if starts_at < since:
            continue
        ends_at = dt.datetime.combine(session.date, session.end, tzinfo=PARIS)
        room = ", ".join(sorted(set(session.rooms)))
        by_key[(starts_at, ends_at, session.subject_code, session.classes, room)].append(session)
    return by_key


def _found_by_key() -> dict[_Key, list[_Found]]:
    services = {
        s.pk: s
        for s in TeachingService.objects.select_related("subject").prefetch_related(
            "teachers", "classes", "groups"
        )
    }
    by_key: dict[_Key, list[_Found]] = defaultdict(list)
    sessions = Session.objects.filter(source=Session.Source.TIMETABLE).values_list(
        "teaching_service_id", "starts_at", "ends_at", "room"
    )
    for service_id, starts_at, ends_at, room in sessions:
        service = services[service_id]
        subject = service.subject.code
        classes = tuple(sorted(c.code for c in service.classes.all()))
        key = (starts_at.astimezone(PARIS), ends_at.astimezone(PARIS), subject, classes, room)
        by_key[key].append(
            _Found(
                teachers=frozenset(t.aaf_jointure or f"#{t.pk}" for t in service.teachers.all()),
                groups=frozenset(g.code for g in service.groups.all()),
            )
        )
    return by_key


def _compare(
    sample: Sample, key: _Key, expected: list[ExpectedSession], found: list[_Found]
) -> list[str]:
    where = f"{key[0]:%Y-%m-%d %H:%M} {key[2]} {key[3]} {key[4]}"
    if len(expected) != len(found):
        return [f"{where}: {len(found)} session(s) instead of {len(expected)}"]
    wanted = sorted((_teachers(sample, e), e) for e in expected)
    got = sorted(found, key=lambda f: sorted(f.teachers))
    problems = []
    for (teachers, session), row in zip(wanted, got, strict=True):
        if frozenset(teachers) != row.teachers:
            problems.append(f"{where}: teachers {sorted(row.teachers)} instead of {teachers}")
        if not _groups_match(sample, session, row.groups):
            problems.append(
                f"{where}: groups {sorted(row.groups)} instead of {session.groups} + parts "
                f"{session.parts}"
            )
    return problems


def _teachers(sample: Sample, session: ExpectedSession) -> list[str]:
    jointures = (sample.directory_id_of("teacher", t) for t in session.teachers)
    return sorted(j for j in jointures if j is not None)


def _groups_match(sample: Sample, session: ExpectedSession, codes: frozenset[str]) -> bool:
    if not set(session.groups) <= codes:
        return False
    rest = codes - set(session.groups)
    if len(rest) != len(session.parts):
        return False
    return all(rest & _part_codes(sample, part) for part in session.parts)


def _part_codes(sample: Sample, part: str) -> set[str]:
    """Return the group codes a class part may be integrated as.

    The directory's half-group, or a group named like the part in the file: EDT gives parts
    no name (the ENT derives one from the class), UnDeuxTEMPS names every ``gpe``, and the
    writer names a nameless part by its ident.
    """
    timetable = sample.timetable
    codes = {timetable.part_name(part), timetable.parts[part].name or part}
    codes |= {g.name for g in timetable.groups.values() if g.part_idents == (part,)}
    return codes


def closed_sessions(sample: Sample) -> list[str]:
    """Return the timetable sessions the database holds on a closed day (holidays)."""
    closed = sample.calendar.closed
    return [
        f"{starts_at.astimezone(PARIS):%Y-%m-%d %H:%M}"
        for starts_at in Session.objects.values_list("starts_at", flat=True)
        if starts_at.astimezone(PARIS).date() in closed
    ]


def membership_differences(sample: Sample, *, limit: int = 20) -> list[str]:
    """Return the sample's student→group memberships missing from the ENT (any source)."""
    held = set(
        GroupMembership.objects.filter(role=GroupMembership.Role.STUDENT).values_list(
            "person__aaf_jointure", "group__code"
        )
    )
    codes = set(TeachingGroup.objects.values_list("code", flat=True))
    problems = []
    for ident in sample.timetable.students:
        jointure = sample.directory_id_of("student", ident)
        if jointure is None:
            continue
        for group in sample.student_groups(ident):
            code = sample.directory_id_of("group", group)
            if code not in codes:
                problems.append(f"group {code} missing")
            elif (jointure, code) not in held:
                problems.append(f"student {jointure} not in group {code}")
    return sorted(set(problems))[:limit]
