"""The database, not the code, holds the directory's invariants."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from ent.models import (
    ClassMembership,
    ClosingPeriod,
    Establishment,
    SchoolClass,
    Session,
    Subject,
    TeachingService,
)
from tests.factories import EstablishmentFactory, PersonFactory, SchoolYearFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def _service() -> TeachingService:
    establishment = EstablishmentFactory()
    subject = Subject.objects.create(establishment=establishment, code="MATHS", label="Maths")
    return TeachingService.objects.create(establishment=establishment, key="k1", subject=subject)


def test_establishment_refuses_a_malformed_uai() -> None:
    group = EstablishmentFactory().school_group

    with pytest.raises(IntegrityError), transaction.atomic():
        Establishment.objects.create(school_group=group, uai="ABC", name="X")


def test_establishment_uai_is_unique() -> None:
    existing = EstablishmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        EstablishmentFactory(uai=existing.uai)


def test_school_year_must_end_after_it_starts() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolYearFactory(start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 9, 1))


def test_closing_period_cannot_be_empty() -> None:
    establishment = EstablishmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ClosingPeriod.objects.create(
            establishment=establishment,
            start_date=dt.date(2026, 10, 19),
            end_date=dt.date(2026, 10, 19),
        )


def test_class_code_is_unique_within_an_establishment() -> None:
    establishment = EstablishmentFactory()
    SchoolClass.objects.create(establishment=establishment, code="6A")

    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolClass.objects.create(establishment=establishment, code="6A")


def test_membership_period_must_not_be_reversed() -> None:
    school_class = SchoolClass.objects.create(establishment=EstablishmentFactory(), code="6A")

    with pytest.raises(IntegrityError), transaction.atomic():
        ClassMembership.objects.create(
            person=PersonFactory(),
            school_class=school_class,
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2026, 9, 1),
        )


def test_session_must_end_after_it_starts() -> None:
    service = _service()
    start = dt.datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)

    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(teaching_service=service, starts_at=start, ends_at=start)


def test_two_timetable_sessions_of_a_service_cannot_start_together() -> None:
    service = _service()
    start = dt.datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)
    end = start + dt.timedelta(hours=1)
    Session.objects.create(teaching_service=service, starts_at=start, ends_at=end)

    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(teaching_service=service, starts_at=start, ends_at=end)


def test_a_hand_entered_session_may_sit_beside_a_generated_one() -> None:
    service = _service()
    start = dt.datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)
    end = start + dt.timedelta(hours=1)
    Session.objects.create(teaching_service=service, starts_at=start, ends_at=end)

    Session.objects.create(
        teaching_service=service, starts_at=start, ends_at=end, source=Session.Source.MANUAL
    )

    assert service.sessions.count() == 2
