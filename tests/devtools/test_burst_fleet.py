"""The burst benchmark's fleet: re-used sample variants still make distinct establishments."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from deposits.services import depositor_authenticate
from devtools.burst.fleet import SMALL, fleet_create, fleet_sample
from ent.models import Establishment, Person, SchoolYear

pytestmark = pytest.mark.django_db


def test_a_fleet_reusing_one_sample_gives_each_establishment_its_own_identifiers(
    tmp_path: Path, production_hashers: None
) -> None:
    fleet = fleet_create(
        establishments=3, groups=3, seed=5, folder=tmp_path, now=timezone.now(), variants=1
    )

    sample = fleet_sample(SMALL, fleet.targets[0].seed)
    students = sum(1 for s in sample.timetable.students.values() if s.ine)
    assert {t.seed for t in fleet.targets} == {fleet.targets[0].seed}
    assert len({t.uais for t in fleet.targets}) == 3
    assert (
        Establishment.objects.filter(uai__in=[u for t in fleet.targets for u in t.uais]).count()
        == 3
    )
    for target in fleet.targets:
        people = Person.objects.filter(establishments__in=target.establishment_ids)
        # Every unit keeps its students' INEs: none was refused as another unit's.
        assert people.exclude(ine=None).count() >= students * 0.9
        assert target.edt_path.read_bytes().count(b'UAI="' + target.uais[0].encode()) == 1
    ines = list(Person.objects.exclude(ine=None).values_list("ine", flat=True))
    assert len(ines) == len(set(ines))
    assert SchoolYear.objects.filter(school_group_id__in=fleet.school_group_ids).count() == 3
    # The accounts share one precomputed hash but each authenticates by the real path.
    for depositor in fleet.depositors.values():
        authenticated = depositor_authenticate(
            login=depositor.login, password=depositor.password, address="::1", now=timezone.now()
        )
        assert authenticated is not None
        assert authenticated.school_group_id == depositor.school_group_id
