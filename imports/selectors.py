"""Reads of the import history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Model, Prefetch, Q, QuerySet

from ent.models import Establishment, Person, SchoolClass, SchoolGroup, TeachingGroup
from ent.selectors import school_year_current
from ent.text import name_key
from imports.models import ImportRun, ManualMatch
from imports.report import report_of


def establishments_initialised(school_group: SchoolGroup, *, today: dt.date) -> set[int]:
    """Return the ids of establishments with a manual import integrated this school year.

    A manual import that targeted the whole school group initialises every establishment.
    """
    year = school_year_current(school_group, today=today)
    runs = ImportRun.objects.filter(
        school_group=school_group,
        mode=ImportRun.Mode.MANUAL,
        status=ImportRun.Status.INTEGRATED,
        received_at__date__gte=year.start_date,
        received_at__date__lt=year.end_date,
    )
    if runs.filter(establishment__isnull=True).exists():
        return set(school_group.establishments.values_list("pk", flat=True))
    return set(runs.values_list("establishment_id", flat=True))


def school_group_is_initialised(school_group: SchoolGroup, *, today: dt.date) -> bool:
    """Tell whether a first manual import of this school year has been integrated."""
    return bool(establishments_initialised(school_group, today=today))


def import_run_running(school_group: SchoolGroup) -> ImportRun | None:
    """Return the school group's run in progress, if any (one at a time per group)."""
    return school_group.import_runs.filter(status=ImportRun.Status.RUNNING).first()


def import_run_targets(run: ImportRun) -> list[Establishment]:
    """Return the establishments a run targets (all of its school group when none is named)."""
    if run.establishment is not None:
        return [run.establishment]
    return list(run.school_group.establishments.order_by("name"))


def import_run_list(school_group: SchoolGroup) -> QuerySet[ImportRun]:
    """Return the school group's runs, newest first, ready for the history table."""
    return (
        ImportRun.objects.filter(school_group=school_group)
        .select_related("establishment", "deposited_by")
        .order_by("-received_at", "-pk")
    )


def import_run_last_integrated(
    *, school_group: SchoolGroup, establishment_id: int | None, exclude_pk: int | None = None
) -> ImportRun | None:
    """Return the latest integrated run for exactly this target."""
    runs = ImportRun.objects.filter(
        school_group=school_group, status=ImportRun.Status.INTEGRATED
    ).filter(Q(establishment_id=establishment_id))
    if exclude_pk is not None:
        runs = runs.exclude(pk=exclude_pk)
    # The bilan and counters can weigh megabytes: callers compare the file's digest.
    return runs.defer("bilan", "counters").order_by("-finished_at", "-pk").first()


# Manual matching ---------------------------------------------------------------------------

PEOPLE_SEARCH_MAX = 50
PERSON_KINDS = {
    ManualMatch.Kind.TEACHER: (Person.Kind.TEACHER, Person.Kind.STAFF),
    ManualMatch.Kind.STUDENT: (Person.Kind.STUDENT,),
}


@dataclass(frozen=True)
class DirectoryChoice:
    """A directory entry offered to a manual match, with what tells homonyms apart."""

    id: int
    label: str
    birth_date: dt.date | None
    establishments: str


@dataclass
class MatchEntry:
    """An unmatched or ambiguous entity of a run, and its manual match if one is saved."""

    index: int
    kind: str
    source_key: str
    label: str
    birth_date: dt.date | None
    candidates: list[DirectoryChoice]
    manual: ManualMatch | None

    @property
    def is_person(self) -> bool:
        return self.kind in PERSON_KINDS

    @property
    def matched_id(self) -> int | None:
        """Return the id of the directory entry the saved manual match points at."""
        if self.manual is None:
            return None
        return self.manual.person_id or self.manual.school_class_id or self.manual.group_id

    @property
    def search_hint(self) -> str:
        """Return the name to search the directory with first (the label without the birth)."""
        return self.label.split(",", 1)[0]


def _people(school_group: SchoolGroup, kind: str) -> QuerySet[Person]:
    return (
        Person.objects.filter(
            is_active=True,
            kind__in=PERSON_KINDS[ManualMatch.Kind(kind)],
            establishments__school_group=school_group,
        )
        .distinct()
        .prefetch_related(
            Prefetch(
                "establishments",
                queryset=Establishment.objects.filter(school_group=school_group).order_by("name"),
            )
        )
    )


def _person_choices(people: QuerySet[Person], limit: int | None = None) -> list[DirectoryChoice]:
    ordered = people.order_by("last_name", "first_name", "birth_date", "pk")
    return [
        DirectoryChoice(
            id=p.pk,
            label=p.display_name,
            birth_date=p.birth_date,
            establishments=", ".join(e.name for e in p.establishments.all()),
        )
        for p in (ordered[:limit] if limit is not None else ordered)
    ]


def _units(school_group: SchoolGroup, kind: str) -> QuerySet[SchoolClass] | QuerySet[TeachingGroup]:
    model = SchoolClass if kind == ManualMatch.Kind.CLASS else TeachingGroup
    return model.objects.filter(establishment__school_group=school_group).select_related(
        "establishment"
    )


def manual_match_people_search(
    *, school_group: SchoolGroup, kind: str, query: str
) -> list[DirectoryChoice]:
    """Return the active people of the right kind whose name holds every word of ``query``."""
    words = name_key(query).split()
    if not words:
        return []
    people = _people(school_group, kind)
    for word in words:
        people = people.filter(search_key__contains=word)
    return _person_choices(people, PEOPLE_SEARCH_MAX)


def manual_match_units(*, school_group: SchoolGroup, kind: str) -> list[DirectoryChoice]:
    """Return the classes (CLASS) or groups (GROUP) of the school group's establishments."""
    return [
        DirectoryChoice(
            id=unit.pk,
            label=unit.code
            if not unit.name or unit.name == unit.code
            else f"{unit.code} – {unit.name}",
            birth_date=None,
            establishments=unit.establishment.name,
        )
        for unit in _units(school_group, kind).order_by("establishment__name", "code")
    ]


def manual_match_target(*, school_group: SchoolGroup, kind: str, target_id: int) -> Model | None:
    """Return the directory entry ``target_id`` a match of ``kind`` may point at, if any.

    Only the active people of the right kind and the classes and groups of the school
    group's establishments qualify: an id from elsewhere gives None.
    """
    if kind in PERSON_KINDS:
        return _people(school_group, kind).filter(pk=target_id).first()
    return _units(school_group, kind).filter(pk=target_id).first()


def manual_match_entries(*, run: ImportRun) -> list[MatchEntry]:
    """Return the run's unmatched and ambiguous entities, in the bilan's order."""
    raw = report_of(run).unmatched_entries
    saved = {
        (m.kind, m.source_key): m
        for m in ManualMatch.objects.filter(
            school_group_id=run.school_group_id,
            source_key__in=[e.source_key for e in raw],
        ).select_related("person", "school_class", "group", "created_by")
    }
    candidate_ids = {pk for e in raw if e.kind in PERSON_KINDS for pk in e.candidates}
    people = {
        choice.id: choice
        for kind in PERSON_KINDS
        for choice in _person_choices(_people(run.school_group, kind).filter(pk__in=candidate_ids))
    }
    return [
        MatchEntry(
            index=index,
            kind=e.kind,
            source_key=e.source_key,
            label=e.label,
            birth_date=e.birth_date,
            candidates=[people[pk] for pk in e.candidates if pk in people]
            if e.kind in PERSON_KINDS
            else [],
            manual=saved.get((e.kind, e.source_key)),
        )
        for index, e in enumerate(raw)
    ]


def manual_match_list(*, school_group: SchoolGroup) -> list[ManualMatch]:
    """Return the school group's manual matches by kind and label, ready for display."""
    return list(
        ManualMatch.objects.filter(school_group=school_group)
        .select_related("person", "school_class", "group", "created_by")
        .order_by("kind", "source_label", "pk")
    )
