"""Matching ("rapprochement") of a timetable's entities with the ENT directory. Pure.

The service layer loads a :class:`Directory` snapshot of the targeted establishments and the
school group's manual matches; :func:`match_timetable` then decides, for every teacher,
student, class and group of the file, which directory entry it is, or that none or several
fit. An ambiguity (several entries fit equally) is reported, never guessed.

Order of evidence:
- teachers: manual match (by source key, then by name for a match saved from another
  format's file), PRONOTE IDPN, STS-Web id, name + birth date, then name alone when
  exactly one teacher of the directory has it;
- students: manual match (likewise), INE, SIECLE id, then name + birth date;
- classes and groups: manual match, code, then the accent- and case-insensitive name.
Names compare accent-, case-, hyphen- and space-insensitively (:func:`ent.text.name_key`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
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
    # kind → name key → saved matches: the same matches, by what all formats share
    manual_by_name: Mapping[str, Mapping[str, list[SavedByName]]] = field(default_factory=dict)


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
    """What matching one kind found, counted by entity as a manager knows it.

    An entity is a source key (:func:`unit_source_key`, :func:`person_source_key`): the
    key a manual match is saved under. An UnDeuxTEMPS publication repeats a group in each of
    its divisions (three idents, one name, one key): ``matched`` maps every ident, while the
    counts, ``entries`` (the manual matching page) and ``unmatched`` (the bilan's list) hold
    each entity once, so the bilan and the matching page show the same number.
    """

    matched: dict[str, int] = field(default_factory=dict)  # source ident → directory id
    entries: list[UnmatchedEntry] = field(default_factory=list)  # unmatched and ambiguous
    keys: set[str] = field(default_factory=set)  # every entity seen
    listed: set[str] = field(default_factory=set)  # the entities in ``entries``

    @property
    def total(self) -> int:
        return len(self.keys)

    @property
    def unmatched_count(self) -> int:
        return len(self.entries)

    @property
    def matched_count(self) -> int:
        return self.total - self.unmatched_count

    @property
    def unmatched(self) -> list[str]:
        """Return the labels of the entities left unmatched, each once (the bilan's list)."""
        return [entry.label for entry in self.entries]

    @property
    def ambiguous(self) -> list[str]:
        return [
            ambiguity_line(entry.label, len(entry.candidates))
            for entry in self.entries
            if len(entry.candidates) > 1
        ]

    def merged(self, other: KindResult) -> KindResult:
        """Return this result and ``other`` as one kind (groups and class parts, say).

        ``matched`` is left out: idents of two kinds may collide, and only counts and
        entries are read from a merged result.
        """
        merged = KindResult(
            entries=list(self.entries), keys=self.keys | other.keys, listed=set(self.listed)
        )
        for entry in other.entries:
            if entry.source_key not in merged.listed:
                merged.listed.add(entry.source_key)
                merged.entries.append(entry)
        return merged


def ambiguity_line(label: str, candidates: int) -> str:
    """Return the bilan line of an entity ``candidates`` directory entries fit."""
    return f"{label} : {candidates} possibilités dans l'annuaire"


@dataclass
class MatchResult:
    teachers: KindResult
    students: KindResult
    classes: KindResult
    groups: KindResult
    # Class parts, found among the directory's groups by name.
    parts: KindResult = field(default_factory=KindResult)

    @property
    def group_entities(self) -> KindResult:
        """Return groups and class parts as one kind: both are the directory's groups, and
        the bilan, the manual matching page and the control count them together."""
        return self.groups.merged(self.parts)

    def by_kind(self) -> list[tuple[str, KindResult]]:
        """Return each kind's result under its :class:`ManualMatch` kind, in the bilan's order."""
        return [
            ("TEACHER", self.teachers),
            ("STUDENT", self.students),
            ("CLASS", self.classes),
            ("GROUP", self.group_entities),
        ]


def person_source_key(person: SourcePerson, *ids: str) -> str:
    """Return a stable key for a person of a timetable (its ids, else name and birth date)."""
    for prefix, value in zip(("a", "b", "c"), ids, strict=False):
        if value:
            return f"{prefix}:{value}"
    birth = person.birth_date.isoformat() if person.birth_date else "-"
    return f"n:{name_key(person.last_name, person.first_name)}|{birth}"


def manual_match_name_key(label: str) -> str:
    """Return the name key of an entry's label ("DUPONT Claire, né(e) le …" → "dupont claire")."""
    return name_key(label.split(",", 1)[0])


def manual_match_by_name(
    source_key: str,
    key: str,
    birth_date: dt.date | None,
    by_name: Mapping[str, list[SavedByName]],
) -> list[int]:
    """Return the directory ids of manual matches saved under the same name for another format.

    Source identifiers differ between formats (EDT's PRONOTE id, UnDeuxTEMPS's STS id, or
    none), so a match saved from one format's file is found again by name. A match whose
    identifier is of the same kind as the entity's but with another value, or whose known
    birth date differs from the entity's, is a homonym, never used.
    """
    prefix, _sep, value = source_key.partition(":")
    ids = []
    for saved in by_name.get(key, []):
        saved_prefix, _sep, saved_value = saved.source_key.partition(":")
        if prefix in _ID_PREFIXES and saved_prefix == prefix and saved_value != value:
            continue
        if birth_date and saved.birth_date and birth_date != saved.birth_date:
            continue
        ids.append(saved.target_id)
    return ids


_ID_PREFIXES = ("a", "b", "c")


@dataclass(frozen=True, slots=True)
class SavedByName:
    """A manual match as found by name: its source key and birth date, and its target."""

    source_key: str
    birth_date: dt.date | None
    target_id: int


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
            key = p.key  # a name key costs more than the rest of the loop
            self.by_name_birth[(key, p.birth_date)].append(p.id)
            self.by_name[key].append(p.id)

    def by(self, attr: str, value: str) -> list[int]:
        return self.by_attr[attr].get(value.upper(), []) if value else []


def _decide(
    result: KindResult,
    ident: str,
    source_key: str,
    entry_of: Callable[[], UnmatchedEntry],
    candidates: Iterable[list[int]],
) -> None:
    """Take the first piece of evidence that names anyone: one id matches, several are ambiguous.

    An entity already left unmatched (same source key, another ident) is not listed twice.
    ``entry_of`` makes its entry (label included) only when it is listed.
    """
    result.keys.add(source_key)
    ambiguous: tuple[int, ...] = ()
    for ids in candidates:
        unique = sorted(set(ids))
        if len(unique) == 1:
            result.matched[ident] = unique[0]
            return
        if len(unique) > 1:
            ambiguous = tuple(unique)
            break
    if source_key not in result.listed:
        entry = entry_of()
        result.listed.add(source_key)
        result.entries.append(replace(entry, candidates=ambiguous) if ambiguous else entry)


def _person_entry(source_key: str, person: SourcePerson) -> UnmatchedEntry:
    return UnmatchedEntry(source_key, person_label(person), person.birth_date)


def _match_people(
    people: Iterable[SourcePerson],
    candidates: Iterable[DirectoryPerson],
    manual: Mapping[str, int],
    ids: Mapping[str, tuple[str, str]],
    *,
    id_attrs: tuple[str, str],
    name_alone: bool,
    manual_by_name: Mapping[str, list[SavedByName]] | None = None,
) -> KindResult:
    """Match people on: manual match, the two ids of ``id_attrs``, name + birth date, then,
    when ``name_alone``, a name that exactly one directory person has."""
    index = _PersonIndex(candidates)
    result = KindResult()
    for person in people:
        first_id, second_id = ids.get(person.ident, ("", ""))
        key = name_key(person.last_name, person.first_name)
        source_key = person_source_key(person, first_id, second_id)
        evidence = [
            [manual[source_key]] if source_key in manual else [],
            manual_match_by_name(source_key, key, person.birth_date, manual_by_name or {}),
            index.by(id_attrs[0], first_id),
            index.by(id_attrs[1], second_id),
            index.by_name_birth.get((key, person.birth_date), []) if person.birth_date else [],
        ]
        if name_alone:
            evidence.append(index.by_name.get(key, []))
        _decide(
            result,
            person.ident,
            source_key,
            partial(_person_entry, source_key, person),
            evidence,
        )
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
        manual_by_name=directory.manual_by_name.get("TEACHER", {}),
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
        manual_by_name=directory.manual_by_name.get("STUDENT", {}),
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
        source_key = unit_source_key(code)
        _decide(
            result,
            ident,
            source_key,
            partial(UnmatchedEntry, source_key, code),
            [
                [manual[source_key]] if source_key in manual else [],
                by_code.get(code, []),
                by_key.get(name_key(code), []),
            ],
        )
    return result
