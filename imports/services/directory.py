"""A snapshot of the ENT directory for matching (:class:`imports.matching.Directory`)."""

from __future__ import annotations

from collections import defaultdict

from ent.models import Person, SchoolClass, TeachingGroup
from imports.matching import Directory, DirectoryPerson, DirectoryUnit, SavedByName
from imports.models import ManualMatch


def directory_snapshot(*, school_group_id: int, establishment_ids: list[int]) -> Directory:
    """Load the active teachers, students, classes and groups of the establishments."""
    people = (
        Person.objects.filter(is_active=True, establishments__in=establishment_ids)
        .distinct()
        .values_list(
            "pk", "kind", "last_name", "first_name", "birth_date", "ine", "sts_id", "pronote_idpn"
        )
    )
    teachers, students = [], []
    for pk, kind, last, first, birth, ine, sts, idpn in people:
        record = DirectoryPerson(pk, last, first, birth, ine or "", sts, idpn)
        if kind == Person.Kind.STUDENT:
            students.append(record)
        elif kind in (Person.Kind.TEACHER, Person.Kind.STAFF):
            teachers.append(record)
    manual: dict[str, dict[str, int]] = defaultdict(dict)
    manual_by_name: dict[str, dict[str, list[SavedByName]]] = defaultdict(lambda: defaultdict(list))
    for kind, key, name, birth, person, school_class, group in ManualMatch.objects.filter(
        school_group_id=school_group_id
    ).values_list(
        "kind", "source_key", "name_key", "birth_date", "person_id", "school_class_id", "group_id"
    ):
        target = person or school_class or group
        manual[kind][key] = target
        if name:
            manual_by_name[kind][name].append(SavedByName(key, birth, target))
    return Directory(
        teachers=teachers,
        students=students,
        classes=[
            DirectoryUnit(pk, code, name, e)
            for pk, code, name, e in SchoolClass.objects.filter(
                establishment_id__in=establishment_ids
            ).values_list("pk", "code", "name", "establishment_id")
        ],
        groups=[
            DirectoryUnit(pk, code, name, e)
            for pk, code, name, e in TeachingGroup.objects.filter(
                establishment_id__in=establishment_ids
            ).values_list("pk", "code", "name", "establishment_id")
        ],
        manual=manual,
        manual_by_name=manual_by_name,
    )
