"""Matching ("rapprochement") of a timetable's entities with the ENT directory. Pure.

The service layer loads a :class:`Directory` snapshot of the targeted establishments and the
school group's manual matches; :func:`match_timetable` then decides, for every teacher,
student, class and group of the file, which directory entry it is, or that none or several
fit. An ambiguity (several entries fit equally) is reported, never guessed.

Order of evidence:
- teachers: manual match, PRONOTE IDPN, STS-Web id, name + birth date, then name alone when
  exactly one teacher of the directory has it;
- students: manual match, INE, SIECLE id, then name + birth date;
- classes and groups: manual match, code, then the accent- and case-insensitive name.
Names compare accent-, case-, hyphen- and space-insensitively (:func:`ent.text.name_key`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from ent.text import name_key


class SourcePerson(Protocol):
    # Read-only members: the parsers' people are frozen dataclasses.
    @property
    def ident(self) -> str: ...
    @property
    def last_name(self) -> str: ...
    @property
    def first_name(self) -> str: ...
    @property
    def birth_date(self) -> dt.date | None: ...


@dataclass(frozen=True, slots=True)
class DirectoryPerson:
    id: int
    last_name: str
    first_name: str
    birth_date: dt.date | None
    ine: str = ""
    sts_id: str = ""
    pronote_idpn: str = ""
    siecle_id: str = ""

    @property
    def key(self) -> str:
        return name_key(self.last_name, self.first_name)


@dataclass(frozen=True, slots=True)
class DirectoryUnit:
    """A class or group of the directory."""

    id: int
    code: str
    name: str
    establishment_id: int


@dataclass
class Directory:
    teachers: list[DirectoryPerson] = field(default_factory=list)
    students: list[DirectoryPerson] = field(default_factory=list)
    classes: list[DirectoryUnit] = field(default_factory=list)
    groups: list[DirectoryUnit] = field(default_factory=list)
    # kind → source key → directory id (from ManualMatch)
    manual: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnmatchedEntry:
    """An entity of the file that no directory entry, or several, fit.

    ``source_key`` is the key a :class:`ManualMatch` must carry to match it next time;
    ``candidates`` holds the directory ids that fit equally (empty when none fits).
    """

    source_key: str
    label: str
    birth_date: dt.date | None = None
    candidates: tuple[int, ...] = ()


@dataclass
class KindResult:
    matched: dict[str, int] = field(default_factory=dict)  # source ident → directory id
    unmatched: list[str] = field(default_factory=list)  # labels for the bilan
    ambiguous: list[str] = field(default_factory=list)
    entries: list[UnmatchedEntry] = field(default_factory=list)  # unmatched and ambiguous
    total: int = 0

    @property
    def unmatched_count(self) -> int:
        return self.total - len(self.matched)


@dataclass
class MatchResult:
    teachers: KindResult
    students: KindResult
    classes: KindResult
    groups: KindResult


def person_source_key(person: SourcePerson, *ids: str) -> str:
    """Return a stable key for a person of a timetable (its ids, else name and birth date)."""
    for prefix, value in zip(("a", "b", "c"), ids, strict=False):
        if value:
            return f"{prefix}:{value}"
    birth = person.birth_date.isoformat() if person.birth_date else "-"
    return f"n:{name_key(person.last_name, person.first_name)}|{birth}"


def unit_source_key(code: str) -> str:
    return f"u:{name_key(code)}"


def person_label(person: SourcePerson) -> str:
    birth = f", né(e) le {person.birth_date:%d/%m/%Y}" if person.birth_date else ""
    return f"{person.last_name.upper()} {person.first_name}{birth}"


class _PersonIndex:
    def __init__(self, people: Iterable[DirectoryPerson]) -> None:
        self.by_attr: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.by_name_birth: dict[tuple[str, dt.date | None], list[int]] = defaultdict(list)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for p in people:
            for attr in ("ine", "sts_id", "pronote_idpn", "siecle_id"):
                value = getattr(p, attr)
                if value:
                    self.by_attr[attr][value.upper()].append(p.id)
            self.by_name_birth[(p.key, p.birth_date)].append(p.id)
            self.by_name[p.key].append(p.id)

    def by(self, attr: str, value: str) -> list[int]:
        return self.by_attr[attr].get(value.upper(), []) if value else []


def _decide(
    result: KindResult,
    ident: str,
    entry: UnmatchedEntry,
    candidates: Iterable[list[int]],
) -> None:
    """Take the first piece of evidence that names anyone: one id matches, several are ambiguous."""
    for ids in candidates:
        unique = sorted(set(ids))
        if len(unique) == 1:
            result.matched[ident] = unique[0]
            return
        if len(unique) > 1:
            result.ambiguous.append(f"{entry.label} : {len(unique)} personnes possibles")
            result.unmatched.append(entry.label)
            result.entries.append(replace(entry, candidates=tuple(unique)))
            return
    result.unmatched.append(entry.label)
    result.entries.append(entry)


def _match_people(
    people: Iterable[SourcePerson],
    candidates: Iterable[DirectoryPerson],
    manual: Mapping[str, int],
    ids: Mapping[str, tuple[str, str]],
    *,
    id_attrs: tuple[str, str],
    name_alone: bool,
) -> KindResult:
    """Match people on: manual match, the two ids of ``id_attrs``, name + birth date, then,
    when ``name_alone``, a name that exactly one directory person has."""
    index = _PersonIndex(candidates)
    result = KindResult()
    for person in people:
        result.total += 1
        first_id, second_id = ids.get(person.ident, ("", ""))
        key = name_key(person.last_name, person.first_name)
        source_key = person_source_key(person, first_id, second_id)
        evidence = [
            [manual[source_key]] if source_key in manual else [],
            index.by(id_attrs[0], first_id),
            index.by(id_attrs[1], second_id),
            index.by_name_birth.get((key, person.birth_date), []) if person.birth_date else [],
        ]
        if name_alone:
            evidence.append(index.by_name.get(key, []))
        entry = UnmatchedEntry(source_key, person_label(person), person.birth_date)
        _decide(result, person.ident, entry, evidence)
    return result


def match_teachers(
    teachers: Iterable[SourcePerson], directory: Directory, ids: Mapping[str, tuple[str, str]]
) -> KindResult:
    """Match teachers; ``ids`` maps a source ident to its (PRONOTE IDPN, STS id)."""
    return _match_people(
        teachers,
        directory.teachers,
        directory.manual.get("TEACHER", {}),
        ids,
        id_attrs=("pronote_idpn", "sts_id"),
        name_alone=True,
    )


def match_students(
    students: Iterable[SourcePerson], directory: Directory, ids: Mapping[str, tuple[str, str]]
) -> KindResult:
    """Match students; ``ids`` maps a source ident to its (INE, SIECLE id)."""
    return _match_people(
        students,
        directory.students,
        directory.manual.get("STUDENT", {}),
        ids,
        id_attrs=("ine", "siecle_id"),
        name_alone=False,
    )


def match_units(
    units: Iterable[tuple[str, str]], candidates: Iterable[DirectoryUnit], manual: Mapping[str, int]
) -> KindResult:
    """Match classes or groups given as (source ident, code or name)."""
    by_code: dict[str, list[int]] = defaultdict(list)
    by_key: dict[str, list[int]] = defaultdict(list)
    for unit in candidates:
        by_code[unit.code].append(unit.id)
        by_key[name_key(unit.code)].append(unit.id)
        if unit.name:
            by_key[name_key(unit.name)].append(unit.id)
    result = KindResult()
    for ident, code in units:
        result.total += 1
        source_key = unit_source_key(code)
        _decide(
            result,
            ident,
            UnmatchedEntry(source_key, code),
            [
                [manual[source_key]] if source_key in manual else [],
                by_code.get(code, []),
                by_key.get(name_key(code), []),
            ],
        )
    return result
