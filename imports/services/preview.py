"""What an import changes, per class or group and per teacher (the preview of design §9).

Computed from a plan and its diff before anything is written, and stored in the run's bilan,
so a BLOCKED run shows what "Appliquer quand même" would do, and an integrated one what it
did. Sessions added come from the plan's services; sessions removed or changed are counted per
existing service by the diff, whose audiences and teachers are read once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from ent.models import Person, SchoolClass, TeachingService
from imports.planning import Plan
from imports.services.apply import Diff

CHANGES_ROWS_MAX = 200
_KINDS = ("added", "removed", "changed")


def change_summary(plan: Plan, diff: Diff) -> dict[str, list[dict[str, Any]]]:
    """Return sessions added, removed and changed per audience and per teacher, busiest first."""
    by_service: dict[str, Counter[int | str]] = {kind: Counter() for kind in _KINDS}
    by_service["added"].update(session.service_key for session in diff.sessions_new)
    by_service["removed"].update(diff.sessions_deleted_per_service)
    by_service["changed"].update(diff.sessions_changed_per_service)

    existing = {pk for kind in ("removed", "changed") for pk in by_service[kind]}
    audiences, teachers = _existing_services(existing)
    class_codes = dict(
        SchoolClass.objects.filter(establishment_id__in=plan.establishment_ids).values_list(
            "pk", "code"
        )
    )
    for key in {session.service_key for session in diff.sessions_new}:
        service = plan.services[key]
        audiences[key] = [class_codes[pk] for pk in service.class_ids if pk in class_codes]
        audiences[key] += [code for _establishment, code in service.group_keys]
        teachers[key] = sorted(service.teacher_ids)

    per_audience: dict[str, Counter[str]] = {kind: Counter() for kind in _KINDS}
    per_teacher: dict[str, Counter[int]] = {kind: Counter() for kind in _KINDS}
    for kind in _KINDS:
        for service_id, count in by_service[kind].items():
            for label in audiences.get(service_id, []):
                per_audience[kind][label] += count
            for teacher in teachers.get(service_id, []):
                per_teacher[kind][teacher] += count
    names = _teacher_names({t for kind in _KINDS for t in per_teacher[kind]})
    return {
        "by_audience": _rows(per_audience, lambda label: label),
        "by_teacher": _rows(per_teacher, lambda pk: names.get(pk, f"#{pk}")),
    }


def _rows(
    counters: Mapping[str, Counter[Any]], label_of: Callable[[Any], str]
) -> list[dict[str, Any]]:
    keys = set().union(*(counters[kind] for kind in _KINDS))
    rows: list[dict[str, Any]] = [
        {"label": label_of(key), **{kind: counters[kind][key] for kind in _KINDS}} for key in keys
    ]
    rows.sort(key=lambda row: (-(row["added"] + row["removed"] + row["changed"]), row["label"]))
    return rows[:CHANGES_ROWS_MAX]


def _existing_services(
    service_ids: set[int | str],
) -> tuple[dict[int | str, list[str]], dict[int | str, list[int]]]:
    """Return the audience codes and teacher ids of existing services."""
    audiences: dict[int | str, list[str]] = {pk: [] for pk in service_ids}
    teachers: dict[int | str, list[int]] = {pk: [] for pk in service_ids}
    if not service_ids:
        return audiences, teachers
    class_links = TeachingService.classes.through
    for service, code in class_links.objects.filter(teachingservice_id__in=service_ids).values_list(
        "teachingservice_id", "schoolclass__code"
    ):
        audiences[service].append(code)
    group_links = TeachingService.groups.through
    for service, code in group_links.objects.filter(teachingservice_id__in=service_ids).values_list(
        "teachingservice_id", "teachinggroup__code"
    ):
        audiences[service].append(code)
    teacher_links = TeachingService.teachers.through
    for service, person in teacher_links.objects.filter(
        teachingservice_id__in=service_ids
    ).values_list("teachingservice_id", "person_id"):
        teachers[service].append(person)
    return audiences, teachers


def _teacher_names(person_ids: set[int]) -> dict[int, str]:
    return {
        pk: f"{last.upper()} {first}"
        for pk, last, first in Person.objects.filter(pk__in=person_ids).values_list(
            "pk", "last_name", "first_name"
        )
    }


__all__ = ["CHANGES_ROWS_MAX", "change_summary"]
