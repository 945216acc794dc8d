"""A re-import compares group memberships by digest before reading any of them.

Every import stores, on each teaching group of its establishments, a digest of the group's
timetable memberships (``TeachingGroup.membership_digest``); database triggers empty it on
any write to the group's memberships. The next import reads and compares only the groups
whose digest does not hold. Each test below checks the result against the same import with
every digest emptied, which compares every membership row as before.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from ent.models import GroupMembership, TeachingGroup
from imports.models import ImportRun
from imports.services.apply import membership_digests
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

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="membership digests are PostgreSQL's only"
)

LATER = NOW + dt.timedelta(days=9, hours=3)
# Student ARNAUD's half-class enrolment (the only one in part 11 with dates).
ARNAUD_PART = b'<PartieDeClasse Ident="11" DateEntree="2026-09-01"'


def _export(tag: str, content: bytes | None = None) -> bytes:
    base = content if content is not None else edt_file(moved(default_courses(), 0, room=4))
    return base + f"\n<!-- export {tag} -->\n".encode()


def _memberships() -> list[tuple[int, int, str, str]]:
    return sorted(GroupMembership.objects.values_list("person_id", "group_id", "role", "source"))


def _digests_hold() -> None:
    """Each group's stored digest, when set, is the digest of its timetable memberships now."""
    groups = dict(TeachingGroup.objects.values_list("pk", "membership_digest"))
    held = set(
        GroupMembership.objects.filter(source=GroupMembership.Source.TIMETABLE).values_list(
            "person_id", "group_id", "role"
        )
    )
    year_start = dt.date(2026, 9, 1)
    now = membership_digests(held, groups, year_start=year_start)
    stored = {pk: digest for pk, digest in groups.items() if digest}
    assert stored
    assert stored == {pk: now[pk] for pk in stored}


def _both_ways(school: School, content: bytes) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """Import ``content`` as is, roll back, then import it with every digest emptied."""
    with transaction.atomic():
        run = run_import(school, content, now=LATER)
        by_digest = (run.status, run.counters, _memberships())
        _digests_hold()
        transaction.set_rollback(True)
    TeachingGroup.objects.update(membership_digest="")
    run = run_import(school, content, now=LATER)
    return by_digest, (run.status, run.counters, _memberships())


@pytest.mark.django_db(transaction=True)
def test_an_import_stores_each_group_s_membership_digest_and_a_re_import_trusts_it(
    school: School,
) -> None:
    initialise(school)
    _digests_hold()
    before = _memberships()

    by_digest, full = _both_ways(school, _export("room moved"))

    assert by_digest == full
    assert by_digest[0] == ImportRun.Status.INTEGRATED
    assert by_digest[2] == before


@pytest.mark.django_db(transaction=True)
def test_a_changed_enrolment_in_the_file_gives_the_same_memberships_as_comparing_every_row(
    school: School,
) -> None:
    initialise(school)
    content = edt_file()
    assert content.count(ARNAUD_PART) == 1
    changed = content.replace(ARNAUD_PART, b'<PartieDeClasse Ident="12" DateEntree="2026-09-01"')

    by_digest, full = _both_ways(school, _export("enrolment changed", changed))

    assert by_digest == full
    counters = by_digest[1]
    assert isinstance(counters, dict)
    assert counters["memberships_created"] == 1
    assert counters["memberships_removed"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_membership_edited_by_hand_empties_its_group_s_digest_and_the_next_import_repairs_it(
    school: School,
) -> None:
    initialise(school)
    before = _memberships()
    edited = GroupMembership.objects.filter(
        source=GroupMembership.Source.TIMETABLE, role=GroupMembership.Role.STUDENT
    ).first()
    assert edited is not None
    group = TeachingGroup.objects.get(pk=edited.group_id)
    assert group.membership_digest
    others = TeachingGroup.objects.exclude(pk=group.pk).exclude(membership_digest="").count()

    GroupMembership.objects.filter(pk=edited.pk).update(role=GroupMembership.Role.TEACHER)

    group.refresh_from_db()
    assert group.membership_digest == ""
    # The other groups' digests still hold.
    assert TeachingGroup.objects.exclude(pk=group.pk).exclude(membership_digest="").count() == (
        others
    )
    by_digest, full = _both_ways(school, _export("after hand edit"))
    assert by_digest == full
    assert by_digest[2] == before
    counters = by_digest[1]
    assert isinstance(counters, dict)
    assert (counters["memberships_created"], counters["memberships_removed"]) == (1, 1)
