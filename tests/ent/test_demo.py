from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Role
from ent.demo import DEMO_GROUP_NAME, current_school_year_bounds, demo_seed
from ent.identifiers import is_valid_uai
from ent.models import Person, SchoolGroup

pytestmark = pytest.mark.django_db


def test_seeds_a_cite_scolaire_with_valid_uais_and_logins() -> None:
    summary = demo_seed(today=dt.date(2026, 11, 22))

    group = SchoolGroup.objects.get(name=DEMO_GROUP_NAME)
    assert summary.created
    assert all(is_valid_uai(e.uai) for e in group.establishments.all())
    assert group.establishments.count() == 2
    assert Person.objects.filter(kind=Person.Kind.STUDENT).count() >= 300
    assert Person.objects.filter(kind=Person.Kind.TEACHER).count() >= 30
    assert set(group.roles.values_list("name", flat=True)) == {Role.Name.MANAGER, Role.Name.HEAD}
    assert group.school_years.get().start_date == dt.date(2026, 9, 1)


def test_seeding_twice_changes_nothing() -> None:
    demo_seed(today=dt.date(2026, 11, 22))

    summary = demo_seed(today=dt.date(2026, 11, 22))

    assert not summary.created
    assert SchoolGroup.objects.count() == 1


@pytest.mark.parametrize(
    ("today", "start"),
    [(dt.date(2026, 11, 22), dt.date(2026, 9, 1)), (dt.date(2027, 3, 1), dt.date(2026, 9, 1))],
)
def test_school_year_bounds_follow_the_calendar(today: dt.date, start: dt.date) -> None:
    assert current_school_year_bounds(today)[0] == start
