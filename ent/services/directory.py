"""Loading the AAF directory feed into the ENT directory.

:func:`aaf_import` reads a folder of AAF "Complet" files and brings establishments, national
subjects, people, classes, groups and memberships in line with them, in one transaction, with
bulk operations. It is idempotent: a second run over the same files changes nothing. People of
a category absent from a complete file (or named in a ``deleteRequest``) are deactivated and
lose their directory memberships; nothing is deleted, so history that points at them stays.

Someone absent from a complete file who still belongs to an establishment the load does not
cover (a structure absent from its structure file) has only left the covered ones: they are
detached from those (and from their classes and groups there) and stay active.

ENT logins follow the directory through the apps that own them, registered at start-up
(:func:`directory_logins_register`; ``ent`` may not import them), in bulk, inside the load's
transaction: staff (teachers and other personnels) get their login as they are loaded, a
deactivated person's login is closed, and a person listed again gets back the login the
directory had closed (``accounts.provisioning``); depositor accounts whose holder left are
reported (``deposits``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from ent.aaf.reader import AafFile, discover_files, read_file
from ent.aaf.records import AafCategory, AafDelete, AafPerson, AafRecord, AafStructure, AafSubject
from ent.identifiers import is_valid_uai
from ent.models import (
    ClassMembership,
    Establishment,
    GroupMembership,
    NationalSubject,
    Person,
    SchoolClass,
    SchoolGroup,
    TeachingGroup,
)
from ent.text import name_key

BATCH_SIZE = 1000
PERSON_FIELDS = (
    "kind",
    "last_name",
    "first_name",
    "birth_date",
    "email",
    "ine",
    "search_key",
    "function",
)
_KINDS_BY_CATEGORY = {
    AafCategory.STUDENT: (Person.Kind.STUDENT,),
    AafCategory.RELATIVE: (Person.Kind.RELATIVE,),
    AafCategory.STAFF: (Person.Kind.TEACHER, Person.Kind.STAFF),
}
_LABELS = {
    "establishments": "établissements",
    "subjects": "matières nationales",
    "people": "personnes",
    "classes": "classes",
    "groups": "groupes",
    "class_memberships": "inscriptions en classe",
    "group_memberships": "inscriptions en groupe",
    "logins": "identifiants ENT du personnel",
    "depositor_accounts": "comptes d'accès au dépôt",
}
_VERBS = {
    "created": "créé(e)s",
    "updated": "mis(es) à jour",
    "unchanged": "inchangé(e)s",
    "deactivated": "désactivé(e)s",
    "detached": "détaché(e)s des seuls établissements quittés",
    "removed": "retiré(e)s",
    "reopened": "rouvert(e)s",
    "closed": "fermé(e)s",
    "kept": "laissé(e)s ouvert(e)s",
    "suspended": "suspendu(s)",
}


@dataclass
class LoginsOutcome:
    """What an app owning logins did: counts keyed ``"<noun>.<verb>"`` of the summary
    (``"logins.closed"``...) and French warnings naming what someone has to do."""

    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


class DirectoryLogins(Protocol):
    """What an app owning logins does when a directory load lists or deactivates people."""

    def listed(self, *, person_ids: list[int], staff_ids: list[int]) -> LoginsOutcome:
        """People of a batch, all active now (``staff_ids`` among them are staff)."""
        ...

    def deactivated(self, *, person_ids: list[int], now: dt.datetime) -> LoginsOutcome:
        """People the load has just deactivated."""
        ...


_directory_logins: list[DirectoryLogins] = []


def directory_logins_register(logins: DirectoryLogins) -> None:
    """Add an app's login rules (``accounts``, then ``deposits``, register in their ``ready``,
    in ``INSTALLED_APPS`` order: logins are closed before depositor accounts are checked)."""
    if logins not in _directory_logins:
        _directory_logins.append(logins)


def aaf_function_label(functions: Iterable[str]) -> str:
    """Return readable functions from raw ``ENTPersonFonctions`` values.

    ``<structure>$<code>$<family>$<discipline code>$<discipline>`` becomes
    "Famille — Discipline" (e.g. "Enseignement — Anglais"); several are joined by " ; ".
    """
    labels: list[str] = []
    for raw in functions:
        parts = raw.split("$")
        if len(parts) >= 5:
            parts = parts[1:]  # the leading structure jointure
        family = parts[1] if len(parts) > 1 else ""
        discipline = parts[3] if len(parts) > 3 else ""
        words = [w for w in (family, discipline) if w]
        label = " — ".join(_readable(w) for w in words)
        if label and label not in labels:
            labels.append(label)
    return " ; ".join(labels)[:255]


def _readable(word: str) -> str:
    # Acronyms (CPE, EPS) stay upper-case; words in capitals become sentence case.
    return word if len(word) <= 4 else word.capitalize()


class AafImportError(ValueError):
    """The folder holds nothing importable; the message says what to do."""


@dataclass
class AafImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the summary as French lines, one per counted thing."""
        lines = []
        for noun, label in _LABELS.items():
            parts = [
                f"{self.counts[f'{noun}.{verb}']} {text}"
                for verb, text in _VERBS.items()
                if self.counts[f"{noun}.{verb}"]
            ]
            if parts:
                lines.append(f"{label[:1].upper()}{label[1:]} : {', '.join(parts)}")
        return lines


def aaf_import(
    *, folder: Path, school_group: SchoolGroup | None = None, now: dt.datetime | None = None
) -> AafImportSummary:
    """Import the AAF files of ``folder``; new establishments join ``school_group`` if given.

    ``now`` (default: the current time) dates the logins the load closes.

    Raises :class:`AafImportError` when the folder has no AAF file and
    :class:`ent.aaf.reader.AafFormatError` on a malformed file (nothing is written then).
    """
    if not folder.is_dir():
        raise AafImportError(f"Le dossier « {folder} » n'existe pas.")
    files = discover_files(folder)
    if not files:
        raise AafImportError(
            f"Aucun fichier AAF dans « {folder} » : les noms attendus sont de la forme "
            "<préfixe>_Complet_<AAAAMMJJ>_<Type>_0000.xml (Type : EtabEducNat, Eleve, …)."
        )
    importer = _DirectoryImporter(school_group, now=now or timezone.now())
    with transaction.atomic():
        for aaf_file in files:
            importer.consume(aaf_file)
        importer.finish()
    return importer.summary


def _batches(records: Iterable[AafRecord], size: int) -> Iterator[list[AafRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _establishment_kind(name: str) -> str:
    upper = name.upper()
    if re.search(r"\b(LP|LYCEE PROF|LYC(EE)? PROFESSIONNEL)", upper):
        return Establishment.Kind.LYCEE_PRO
    if re.search(r"\b(LYCEE|LYC|LGT|LPO)\b", upper):
        return Establishment.Kind.LYCEE
    if re.search(r"\b(COLLEGE|CLG)\b", upper):
        return Establishment.Kind.COLLEGE
    return Establishment.Kind.OTHER


class _DirectoryImporter:
    def __init__(self, school_group: SchoolGroup | None, *, now: dt.datetime) -> None:
        self.school_group = school_group
        self.now = now
        self.summary = AafImportSummary()
        self.structures: dict[str, Establishment] = {
            e.aaf_jointure: e
            for e in Establishment.objects.exclude(aaf_jointure=None)
            if e.aaf_jointure is not None
        }
        self.file_structures: set[str] = set()
        self.seen: dict[AafCategory, set[str]] = {}
        self.deleted: set[str] = set()
        self.classes: dict[tuple[int, str], int] = {}
        self.groups: dict[tuple[int, str], int] = {}
        # Jointures whose INE another person already holds.
        self.refused_ines: set[str] = set()

    # --- dispatch --------------------------------------------------------------------
    def consume(self, aaf_file: AafFile) -> None:
        records = read_file(aaf_file)
        if aaf_file.category is AafCategory.STRUCTURE:
            for record in records:
                self._structure(record)
        elif aaf_file.category is AafCategory.SUBJECT:
            self._subjects(records)
        else:
            seen = self.seen.setdefault(aaf_file.category, set())
            for batch in _batches(records, BATCH_SIZE):
                people = [r for r in batch if isinstance(r, AafPerson)]
                self.deleted.update(r.jointure for r in batch if isinstance(r, AafDelete))
                seen.update(p.jointure for p in people)
                self._people(people)

    def finish(self) -> None:
        """Deactivate the people a complete file no longer lists, or that it deletes.

        Someone still attached to an establishment the load does not cover is only detached
        from the covered ones: they still work or study elsewhere.
        """
        covered = [self.structures[j].pk for j in self.file_structures if j in self.structures]
        for category, seen in self.seen.items():
            stale = Person.objects.filter(
                kind__in=_KINDS_BY_CATEGORY[category], is_active=True, aaf_jointure__isnull=False
            ).exclude(aaf_jointure__in=seen)
            if covered:
                stale = stale.filter(establishments__in=covered)
            stale_ids = set(stale.values_list("pk", flat=True).distinct())
            elsewhere: set[int] = set()
            if covered and stale_ids:
                elsewhere = set(
                    Person.establishments.through.objects.filter(person_id__in=stale_ids)
                    .exclude(establishment_id__in=covered)
                    .values_list("person_id", flat=True)
                )
                self._detach(elsewhere, covered)
            self._deactivate(sorted(stale_ids - elsewhere))
        if self.deleted:
            self._deactivate(
                Person.objects.filter(aaf_jointure__in=self.deleted, is_active=True).values_list(
                    "pk", flat=True
                )
            )

    # --- structures and subjects -----------------------------------------------------
    def _structure(self, record: AafRecord) -> None:
        if not isinstance(record, AafStructure):
            return
        self.file_structures.add(record.jointure)
        if not is_valid_uai(record.uai):
            self.summary.warnings.append(
                f"Structure {record.jointure} ignorée : UAI « {record.uai} » invalide."
            )
            return
        existing = (
            self.structures.get(record.jointure)
            or Establishment.objects.filter(uai=record.uai).first()
        )
        if existing is None:
            group = self.school_group or SchoolGroup.objects.create(name=record.name)
            existing = Establishment.objects.create(
                school_group=group,
                uai=record.uai,
                name=record.name,
                kind=_establishment_kind(record.name),
                aaf_jointure=record.jointure,
            )
            self.summary.counts["establishments.created"] += 1
        elif (existing.uai, existing.name, existing.aaf_jointure) != (
            record.uai,
            record.name,
            record.jointure,
        ):
            existing.uai, existing.name, existing.aaf_jointure = (
                record.uai,
                record.name,
                record.jointure,
            )
            existing.save(update_fields=["uai", "name", "aaf_jointure"])
            self.summary.counts["establishments.updated"] += 1
        else:
            self.summary.counts["establishments.unchanged"] += 1
        self.structures[record.jointure] = existing

    def _subjects(self, records: Iterable[AafRecord]) -> None:
        wanted = {r.jointure: r.label for r in records if isinstance(r, AafSubject)}
        existing = {s.code: s for s in NationalSubject.objects.filter(code__in=wanted)}
        changed = []
        for code, label in wanted.items():
            subject = existing.get(code)
            if subject is None:
                continue
            if subject.label != label:
                subject.label = label
                changed.append(subject)
        NationalSubject.objects.bulk_update(changed, ["label"])
        NationalSubject.objects.bulk_create(
            [NationalSubject(code=c, label=lbl) for c, lbl in wanted.items() if c not in existing]
        )
        self.summary.counts["subjects.created"] += len(wanted) - len(existing)
        self.summary.counts["subjects.updated"] += len(changed)
        self.summary.counts["subjects.unchanged"] += len(existing) - len(changed)

    # --- people ----------------------------------------------------------------------
    def _person_values(self, record: AafPerson) -> dict[str, object]:
        if record.category is AafCategory.STUDENT:
            kind = Person.Kind.STUDENT
        elif record.category is AafCategory.RELATIVE:
            kind = Person.Kind.RELATIVE
        else:
            kind = Person.Kind.TEACHER if record.is_teacher else Person.Kind.STAFF
        return {
            "kind": kind,
            "last_name": record.last_name,
            "first_name": record.first_name,
            "birth_date": record.birth_date,
            "email": record.email,
            "ine": None if record.jointure in self.refused_ines else (record.ine or None),
            "search_key": name_key(record.last_name, record.first_name),
            "function": aaf_function_label(record.functions),
        }

    def _people(self, records: list[AafPerson]) -> None:
        existing = {
            p.aaf_jointure: p
            for p in Person.objects.filter(aaf_jointure__in=[r.jointure for r in records])
        }
        self._release_taken_ines(records)
        created, changed = [], []
        for record in records:
            values = self._person_values(record)
            person = existing.get(record.jointure)
            if person is None:
                created.append(Person(aaf_jointure=record.jointure, is_active=True, **values))
                continue
            if not person.is_active or any(getattr(person, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(person, key, value)
                person.is_active = True
                changed.append(person)
        Person.objects.bulk_create(created)
        Person.objects.bulk_update(changed, [*PERSON_FIELDS, "is_active"])
        counts = self.summary.counts
        counts["people.created"] += len(created)
        counts["people.updated"] += len(changed)
        counts["people.unchanged"] += len(records) - len(created) - len(changed)
        ids = {
            jointure: pk
            for jointure, pk in Person.objects.filter(
                aaf_jointure__in=[r.jointure for r in records]
            ).values_list("aaf_jointure", "pk")
            if jointure is not None
        }
        self._sync_establishments(records, ids)
        self._sync_class_memberships(records, ids)
        self._sync_group_memberships(records, ids)
        staff = [ids[r.jointure] for r in records if r.category is AafCategory.STAFF]
        listed = sorted(ids.values())
        for logins in _directory_logins if listed else []:
            self._logins_outcome(logins.listed(person_ids=listed, staff_ids=staff))

    def _logins_outcome(self, outcome: LoginsOutcome) -> None:
        self.summary.counts.update(outcome.counts)
        self.summary.warnings.extend(outcome.warnings)

    def _release_taken_ines(self, records: list[AafPerson]) -> None:
        """Drop an INE another person already holds (the INE stays with its first owner)."""
        ines = {r.ine: r.jointure for r in records if r.ine}
        holders = Person.objects.filter(ine__in=ines).values_list("ine", "aaf_jointure")
        for ine, holder in holders:
            if ine is not None and holder != ines[ine]:
                self.summary.warnings.append(
                    f"INE {ine} déjà attribué à une autre personne : ignoré pour {ines[ine]}."
                )
                self.refused_ines.add(ines[ine])

    def _establishment_ids(self, record: AafPerson) -> list[int]:
        ids = []
        for jointure in record.structures:
            establishment = self.structures.get(jointure)
            if establishment is None:
                self.summary.warnings.append(
                    f"{record.last_name} {record.first_name} ({record.jointure}) : "
                    f"structure {jointure} inconnue, rattachement ignoré."
                )
            else:
                ids.append(establishment.pk)
        return ids

    def _sync_establishments(self, records: list[AafPerson], ids: dict[str, int]) -> None:
        through = Person.establishments.through
        wanted = {
            (ids[r.jointure], establishment_id)
            for r in records
            for establishment_id in self._establishment_ids(r)
        }
        current = set(
            through.objects.filter(person_id__in=ids.values()).values_list(
                "person_id", "establishment_id"
            )
        )
        for person_id, establishment_id in current - wanted:
            through.objects.filter(person_id=person_id, establishment_id=establishment_id).delete()
        through.objects.bulk_create(
            [through(person_id=p, establishment_id=e) for p, e in wanted - current]
        )

    def _unit_id(self, kind: str, structure: str, code: str) -> int | None:
        establishment = self.structures.get(structure)
        if establishment is None:
            return None
        cache, model = self._unit_cache(kind)
        key = (establishment.pk, code)
        if key not in cache:
            unit, created = model.objects.get_or_create(
                establishment=establishment, code=code, defaults={"name": code}
            )
            cache[key] = unit.pk
            self.summary.counts[f"{kind}.created" if created else f"{kind}.unchanged"] += 1
        return cache[key]

    def _units_resolve(self, kind: str, keys: Iterable[tuple[str, str]]) -> None:
        """Find or create, in three queries, the classes or groups named by ``keys``.

        ``keys`` are (structure jointure, code) pairs; :meth:`_unit_id` then finds them
        cached instead of one ``get_or_create`` each.
        """
        cache, model = self._unit_cache(kind)
        wanted: set[tuple[int, str]] = set()
        for structure, code in keys:
            establishment = self.structures.get(structure)
            if establishment is not None and (establishment.pk, code) not in cache:
                wanted.add((establishment.pk, code))
        if not wanted:
            return

        def fetch() -> int:
            rows = model.objects.filter(
                establishment_id__in={e for e, _ in wanted}, code__in={c for _, c in wanted}
            ).values_list("establishment_id", "code", "pk")
            found = 0
            for establishment_id, code, pk in rows:
                if (establishment_id, code) in wanted and (establishment_id, code) not in cache:
                    cache[(establishment_id, code)] = pk
                    found += 1
            return found

        self.summary.counts[f"{kind}.unchanged"] += fetch()
        missing = [key for key in wanted if key not in cache]
        if missing:
            # A concurrent load may insert the same unit: its row is kept and fetched.
            units: list[Any] = [model(establishment_id=e, code=c, name=c) for e, c in missing]
            model.objects.bulk_create(units, ignore_conflicts=True)
            self.summary.counts[f"{kind}.created"] += fetch()

    def _unit_cache(
        self, kind: str
    ) -> tuple[dict[tuple[int, str], int], type[SchoolClass] | type[TeachingGroup]]:
        if kind == "classes":
            return self.classes, SchoolClass
        return self.groups, TeachingGroup

    def _sync_class_memberships(self, records: list[AafPerson], ids: dict[str, int]) -> None:
        self._units_resolve(
            "classes",
            (
                pair
                for record in records
                if record.category is AafCategory.STUDENT
                for pair in record.classes
            ),
        )
        wanted = set()
        for record in records:
            if record.category is not AafCategory.STUDENT:
                continue
            for structure, code in record.classes:
                class_id = self._unit_id("classes", structure, code)
                if class_id is not None:
                    wanted.add((ids[record.jointure], class_id))
        existing = ClassMembership.objects.filter(
            person_id__in=ids.values(), source=ClassMembership.Source.DIRECTORY
        )
        current = set(existing.values_list("person_id", "school_class_id"))
        for person_id, class_id in current - wanted:
            existing.filter(person_id=person_id, school_class_id=class_id).delete()
        ClassMembership.objects.bulk_create(
            [ClassMembership(person_id=p, school_class_id=c) for p, c in wanted - current]
        )
        self.summary.counts["class_memberships.created"] += len(wanted - current)
        self.summary.counts["class_memberships.removed"] += len(current - wanted)

    def _sync_group_memberships(self, records: list[AafPerson], ids: dict[str, int]) -> None:
        self._units_resolve(
            "groups",
            (
                pair
                for record in records
                if record.category is not AafCategory.RELATIVE
                for pair in record.groups
            ),
        )
        wanted: set[tuple[int, int, str]] = set()
        for record in records:
            if record.category is AafCategory.RELATIVE:
                continue
            role = (
                GroupMembership.Role.STUDENT
                if record.category is AafCategory.STUDENT
                else GroupMembership.Role.TEACHER
            )
            for structure, code in record.groups:
                group_id = self._unit_id("groups", structure, code)
                if group_id is not None:
                    wanted.add((ids[record.jointure], group_id, role))
        existing = GroupMembership.objects.filter(
            person_id__in=ids.values(), source=GroupMembership.Source.DIRECTORY
        )
        current = set(existing.values_list("person_id", "group_id", "role"))
        for person_id, group_id, stale_role in current - wanted:
            existing.filter(person_id=person_id, group_id=group_id, role=stale_role).delete()
        GroupMembership.objects.bulk_create(
            [GroupMembership(person_id=p, group_id=g, role=r) for p, g, r in wanted - current]
        )
        self.summary.counts["group_memberships.created"] += len(wanted - current)
        self.summary.counts["group_memberships.removed"] += len(current - wanted)

    def _detach(self, person_ids: set[int], establishment_ids: list[int]) -> None:
        """Detach people from these establishments, and from their classes and groups there."""
        if not person_ids:
            return
        Person.establishments.through.objects.filter(
            person_id__in=person_ids, establishment_id__in=establishment_ids
        ).delete()
        ClassMembership.objects.filter(
            person_id__in=person_ids,
            source=ClassMembership.Source.DIRECTORY,
            school_class__establishment_id__in=establishment_ids,
        ).delete()
        GroupMembership.objects.filter(
            person_id__in=person_ids,
            source=GroupMembership.Source.DIRECTORY,
            group__establishment_id__in=establishment_ids,
        ).delete()
        self.summary.counts["people.detached"] += len(person_ids)

    def _deactivate(self, person_ids: Iterable[int]) -> None:
        ids = list(person_ids)
        if not ids:
            return
        Person.objects.filter(pk__in=ids).update(is_active=False)
        ClassMembership.objects.filter(
            person_id__in=ids, source=ClassMembership.Source.DIRECTORY
        ).delete()
        GroupMembership.objects.filter(
            person_id__in=ids, source=GroupMembership.Source.DIRECTORY
        ).delete()
        self.summary.counts["people.deactivated"] += len(ids)
        for logins in _directory_logins:
            self._logins_outcome(logins.deactivated(person_ids=ids, now=self.now))
