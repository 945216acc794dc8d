"""Bulk rows written by ``rows_insert`` read back exactly as given, and stay checked."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from ent.db import rows_insert
from ent.models import GroupMembership, Session, Subject, TeachingGroup, TeachingService
from imports.models import ImportRun, SessionChange
from tests.factories import EstablishmentFactory, ImportRunFactory, PersonFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _service() -> TeachingService:
    establishment = EstablishmentFactory()
    subject = Subject.objects.create(establishment=establishment, code="MATHS", label="Maths")
    return TeachingService.objects.create(establishment=establishment, key="k1", subject=subject)


def test_rows_read_back_with_their_times_texts_and_empty_values() -> None:
    service = _service()
    winter = dt.datetime(2026, 1, 12, 8, 0, tzinfo=PARIS)
    summer = dt.datetime(2026, 6, 29, 13, 30, tzinfo=PARIS)  # another UTC offset
    rooms = ["B\\12\tbis", "Salle\nété « 3 »", ""]
    source = Session.Source.TIMETABLE.value
    rows = [
        (service.pk, start, start + dt.timedelta(minutes=55), room, source)
        for start, room in zip([winter, summer, winter + dt.timedelta(days=1)], rooms, strict=True)
    ]

    rows_insert(Session, ("teaching_service_id", "starts_at", "ends_at", "room", "source"), rows)

    stored = Session.objects.order_by("starts_at").values_list(
        "teaching_service_id", "starts_at", "ends_at", "room", "source"
    )
    assert list(stored) == sorted(rows, key=lambda row: row[1])


def test_change_rows_keep_their_kind_and_missing_old_values() -> None:
    run = ImportRunFactory(
        school_group=EstablishmentFactory().school_group,
        mode=ImportRun.Mode.MANUAL,
        original_filename="edt.xml",
        sha256="0" * 64,
        received_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=PARIS),
    )
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
    end = start + dt.timedelta(hours=1)
    columns = ("run_id", "kind", "starts_at", "ends_at", "room", "subject", "teachers")
    columns += ("audience", "old_starts_at", "old_ends_at", "old_room", "old_teachers")
    added = (run.pk, SessionChange.Kind.ADDED, start, end, "B12", "Maths", "", "6A")
    moved = (run.pk, SessionChange.Kind.CHANGED.value, start, end, "B13", "Maths", "X", "6B")

    rows_insert(
        SessionChange,
        columns,
        [(*added, None, None, "", ""), (*moved, start, end, "B12", "DUPONT Jean")],
    )

    stored = SessionChange.objects.order_by("pk")
    assert [(c.kind, c.old_starts_at, c.old_room, c.old_teachers) for c in stored] == [
        (SessionChange.Kind.ADDED, None, "", ""),
        (SessionChange.Kind.CHANGED, start, "B12", "DUPONT Jean"),
    ]


def test_a_row_naming_a_missing_person_is_refused_by_the_database() -> None:
    group = TeachingGroup.objects.create(establishment=EstablishmentFactory(), code="G1", name="G1")
    person = PersonFactory()
    columns = ("person_id", "group_id", "role", "source")
    source = GroupMembership.Source.TIMETABLE.value

    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(
            GroupMembership,
            columns,
            [
                (person.pk, group.pk, "STUDENT", source),
                (person.pk + 1000, group.pk, "STUDENT", source),
            ],
        )
        connection.check_constraints()  # what the commit checks (deferred foreign keys)

    assert not GroupMembership.objects.exists()
