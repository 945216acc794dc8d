"""The burst benchmark's fleet: N establishments in M school groups, ready to deposit.

Each establishment comes from a generated sample (:mod:`devtools.samples`), its identifiers
made unique in the fleet (UAI, AAF jointures, INE), its directory loaded with the AAF import,
its school group given the sample's school year and one depositor account. A school group of
two establishments is, every other time, one ``medium`` cité scolaire (collège and lycée
sharing one export, deposited in the group folder); every other establishment is a ``small``
sample deposited in its own establishment folder. A deposit target is therefore one export.

Creating hundreds of establishments must not dominate the benchmark, so the fleet is built
for speed without changing what the burst measures:

- ``variants`` distinct samples per preset are generated once and re-keyed for every unit
  that uses them (UAIs, jointures, INEs: the imports see distinct establishments and people,
  of the same shapes);
- one AAF folder per school group, loaded by one :func:`aaf_import` (the real directory
  import), instead of one per establishment;
- school groups, school years, users and depositor accounts are inserted in bulk; the
  accounts share one password hashed once with the production hasher, so every account's
  first PUT still pays its password check through the real WebDAV authentication.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from accounts.models import User
from deposits.models import DepositorAccount
from deposits.services import (
    depositor_login_base,
    depositor_password_generate,
    depositor_password_hash,
)
from devtools.aaf_writer import write_aaf_folder
from devtools.samples import Sample, generate_sample, write_index_education_xml
from ent.aaf.records import AafPerson, AafRecord, AafStructure
from ent.identifiers import make_uai
from ent.models import (
    ClassMembership,
    Establishment,
    GroupMembership,
    Person,
    SchoolClass,
    SchoolGroup,
    SchoolYear,
    Session,
    TeachingGroup,
    TeachingService,
)
from ent.services.directory import aaf_import
from imports.timetable import Timetable

PARIS = ZoneInfo("Europe/Paris")
SMALL, MEDIUM = "small", "medium"
# Distinct samples generated per preset; the units re-key them.
DEFAULT_VARIANTS = 8
# Fleet UAIs: department 0xx numbers no sample draws (samples use real departments' codes).
_UAI_BASE = 9_000_000


@dataclass(frozen=True)
class Target:
    """One deposit target: an establishment folder, or a group folder for a medium cité."""

    key: str
    preset: str
    seed: int
    school_group_id: int
    establishment_id: int | None  # None: the whole school group (medium cité scolaire)
    establishment_ids: tuple[int, ...]
    uais: tuple[str, ...]
    edt_path: Path

    @property
    def folder(self) -> str:
        if self.establishment_id is None:
            return f"/webdav/{self.school_group_id}/"
        return f"/webdav/{self.school_group_id}/{self.establishment_id}/"


@dataclass(frozen=True)
class Depositor:
    school_group_id: int
    login: str
    password: str


@dataclass(frozen=True)
class Fleet:
    tag: str
    school_group_ids: tuple[int, ...]
    targets: tuple[Target, ...]
    depositors: dict[int, Depositor]

    @property
    def establishments(self) -> int:
        return sum(len(t.establishment_ids) for t in self.targets)

    def presets(self) -> Counter[str]:
        return Counter(t.preset for t in self.targets)


def group_sizes(establishments: int, groups: int) -> list[int]:
    """Spread ``establishments`` over ``groups`` school groups, as evenly as possible."""
    if groups < 1 or establishments < groups:
        raise ValueError("Il faut au moins un établissement par cité scolaire.")
    base, extra = divmod(establishments, groups)
    return [base + (1 if index < extra else 0) for index in range(groups)]


@functools.cache
def fleet_sample(preset: str, seed: int) -> Sample:
    """The sample of a variant, generated once per process (units and checks share it)."""
    return generate_sample(preset, seed=seed)


@dataclass(frozen=True)
class _Unit:
    """One sample placed in the fleet: its variant and the identifiers that make it unique."""

    number: int  # unique in the database: UAIs and INEs derive from it
    key: str
    preset: str
    seed: int
    prefix: str  # of its AAF jointures

    @property
    def sample(self) -> Sample:
        return fleet_sample(self.preset, self.seed)

    def uais(self) -> dict[str, str]:
        base = _UAI_BASE + self.number * 2
        return {
            e.uai: make_uai(f"{base + n:07d}") for n, e in enumerate(self.sample.establishments)
        }

    def ines(self) -> dict[str, str]:
        """INEs unique in the database (the directory keeps an INE with its first holder)."""
        students = sorted(s.ine for s in self.sample.timetable.students.values() if s.ine)
        return {ine: f"{self.number:05d}{n:05d}B" for n, ine in enumerate(students)}


def fleet_create(
    *,
    establishments: int,
    groups: int,
    seed: int,
    folder: Path,
    now: dt.datetime,
    variants: int = DEFAULT_VARIANTS,
    on_group: Callable[[list[Target]], None] | None = None,
) -> Fleet:
    """Create the fleet in the database and write each target's export under ``folder``.

    ``on_group`` is called with each school group's targets once they are committed (the
    caller may deposit their first imports while the next groups are created).
    """
    if variants < 1:
        raise ValueError("Il faut au moins une variante d'échantillon par préréglage.")
    tag = uuid.uuid4().hex[:6]
    sizes = group_sizes(establishments, groups)
    school_groups = SchoolGroup.objects.bulk_create(
        SchoolGroup(name=f"Banc d'essai {tag} n° {index + 1}") for index in range(len(sizes))
    )
    depositors = _depositors(school_groups, tag=tag, now=now)
    # Fleet UAIs, jointures and INEs stay clear of earlier fleets in the same database.
    first_number = Establishment.objects.count() + 1
    drawn: Counter[str] = Counter()
    targets: list[Target] = []
    years: list[SchoolYear] = []
    number = first_number - 1
    for index, (school_group, size) in enumerate(zip(school_groups, sizes, strict=True)):
        units = []
        for preset in [MEDIUM] if size == 2 and index % 2 == 0 else [SMALL] * size:
            number += 1
            units.append(
                _Unit(
                    number=number,
                    key=f"u{number - first_number + 1}",
                    preset=preset,
                    seed=seed * 100_000 + drawn[preset] % variants,
                    prefix=f"B{tag}{number}-",
                )
            )
            drawn[preset] += 1
        group_targets = _group_load(school_group, units, folder=folder / f"g{index + 1:04d}")
        if index & (index + 1) == 0:  # after 1, 2, 4, 8… groups: the tables doubled
            _directory_analyze()
        targets += group_targets
        spans = {(u.sample.timetable.year.start, u.sample.timetable.year.end) for u in units}
        years += [SchoolYear(school_group=school_group, start_date=s, end_date=e) for s, e in spans]
        if on_group is not None:
            SchoolYear.objects.bulk_create(years)
            years = []
            on_group(group_targets)
    SchoolYear.objects.bulk_create(years)
    return Fleet(
        tag=tag,
        school_group_ids=tuple(g.pk for g in school_groups),
        targets=tuple(targets),
        depositors=depositors,
    )


# The tables the AAF import reads and writes.
_DIRECTORY_TABLES = (
    Establishment,
    Person,
    Person.establishments.through,
    SchoolClass,
    TeachingGroup,
    ClassMembership,
    GroupMembership,
)


def _directory_analyze() -> None:
    """Refresh PostgreSQL's statistics of the directory tables as the fleet fills them.

    Autovacuum lags behind a bulk load: with the statistics of near-empty tables the AAF
    import's queries pick sequential scans that grow with the fleet (70 ms instead of 0.3 ms
    per query at 60 establishments).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in _DIRECTORY_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _group_load(school_group: SchoolGroup, units: list[_Unit], *, folder: Path) -> list[Target]:
    """Load the directory of the group's units with one AAF import; write their exports."""
    aaf_dir = folder / "aaf"
    write_aaf_folder(
        aaf_dir,
        (r for unit in units for r in _unique_records(unit)),
        export_date=units[0].sample.directory_date,
    )
    with transaction.atomic():
        aaf_import(folder=aaf_dir, school_group=school_group)
    all_uais = [uai for unit in units for uai in unit.uais().values()]
    by_uai = dict(Establishment.objects.filter(uai__in=all_uais).values_list("uai", "pk"))
    targets = []
    for unit in units:
        sample, uais = unit.sample, unit.uais()
        main_uai = uais[sample.establishments[0].uai]
        edt_path = folder / f"edt_{main_uai}.xml"
        edt_path.write_bytes(write_index_education_xml(_rekeyed_timetable(unit), uai=main_uai))
        ids = tuple(by_uai[uais[e.uai]] for e in sample.establishments)
        targets.append(
            Target(
                key=unit.key,
                preset=unit.preset,
                seed=unit.seed,
                school_group_id=school_group.pk,
                establishment_id=None if unit.preset == MEDIUM else ids[0],
                establishment_ids=ids,
                uais=tuple(uais.values()),
                edt_path=edt_path,
            )
        )
    return targets


def _rekeyed_timetable(unit: _Unit) -> Timetable:
    timetable = unit.sample.timetable
    ines = unit.ines()
    students = {
        ident: dataclasses.replace(student, ine=ines.get(student.ine, student.ine))
        for ident, student in timetable.students.items()
    }
    return dataclasses.replace(timetable, students=students)


def _unique_records(unit: _Unit) -> Iterator[AafRecord]:
    """The unit's AAF records with UAIs, jointures and INEs no other unit uses."""
    prefix, uais, ines = unit.prefix, unit.uais(), unit.ines()

    def jointure(value: str) -> str:
        return prefix + value

    def ref(pair: tuple[str, str]) -> tuple[str, str]:
        return (jointure(pair[0]), pair[1])

    def ref3(triple: tuple[str, str, str]) -> tuple[str, str, str]:
        return (jointure(triple[0]), triple[1], triple[2])

    for record in unit.sample.aaf_records:
        if isinstance(record, AafStructure):
            yield dataclasses.replace(
                record, jointure=jointure(record.jointure), uai=uais[record.uai]
            )
        elif isinstance(record, AafPerson):
            yield dataclasses.replace(
                record,
                jointure=jointure(record.jointure),
                structures=tuple(jointure(s) for s in record.structures),
                ine=ines.get(record.ine, record.ine),
                classes=tuple(ref(c) for c in record.classes),
                groups=tuple(ref(g) for g in record.groups),
                class_subjects=tuple(ref3(c) for c in record.class_subjects),
                group_subjects=tuple(ref3(g) for g in record.group_subjects),
                students=tuple(jointure(s) for s in record.students),
                functions=tuple(_function(f, jointure) for f in record.functions),
            )
        else:
            yield record


def _function(value: str, jointure: Callable[[str], str]) -> str:
    head, _, rest = value.partition("$")
    return f"{jointure(head)}${rest}" if rest else value


def _depositors(
    school_groups: list[SchoolGroup], *, tag: str, now: dt.datetime
) -> dict[int, Depositor]:
    """One depositor account per school group, inserted in bulk.

    The accounts share one password, hashed once with the depositor hasher (what
    :func:`deposits.services.depositor_account_create` stores, minus one hash per account).
    """
    password = depositor_password_generate()
    hashed = depositor_password_hash(password)
    users = User.objects.bulk_create(
        User(username=f"depot-{tag}-{n + 1}", first_name="Dépôt", last_name=f"Banc {tag} {n + 1}")
        for n in range(len(school_groups))
    )
    accounts = DepositorAccount.objects.bulk_create(
        DepositorAccount(
            school_group=group,
            user=user,
            slot=1,
            login=depositor_login_base(user),
            password=hashed,
            notify=False,
            created_at=now,
            password_changed_at=now,
        )
        for group, user in zip(school_groups, users, strict=True)
    )
    return {
        a.school_group_id: Depositor(
            school_group_id=a.school_group_id, login=a.login, password=password
        )
        for a in accounts
    }


# --- checking what each target holds -------------------------------------------------------

_Key = tuple[dt.datetime, dt.datetime, str, tuple[str, ...], str]


def target_differences(target: Target, *, since: dt.datetime, limit: int = 5) -> list[str]:
    """Compare the target's sessions with what its export implies from ``since`` on.

    Compared per session: start, end (Europe/Paris), subject code, classes and room, with
    their multiplicity (teachers and groups are checked by the end-to-end tests).
    """
    sample = fleet_sample(target.preset, target.seed)
    expected: Counter[_Key] = Counter()
    for session in sample.expected_sessions():
        starts_at = dt.datetime.combine(session.date, session.start, tzinfo=PARIS)
        if starts_at < since:
            continue
        ends_at = dt.datetime.combine(session.date, session.end, tzinfo=PARIS)
        room = ", ".join(sorted(set(session.rooms)))
        expected[(starts_at, ends_at, session.subject_code, session.classes, room)] += 1
    found = _found(target)
    problems = [f"{target.key}: manquante {_show(k)}" for k in sorted(expected - found)]
    problems += [f"{target.key}: en trop {_show(k)}" for k in sorted(found - expected)]
    return problems[:limit]


def _found(target: Target) -> Counter[_Key]:
    services = TeachingService.objects.filter(establishment_id__in=target.establishment_ids)
    labels = {
        s.pk: (s.subject.code, tuple(sorted(c.code for c in s.classes.all())))
        for s in services.select_related("subject").prefetch_related("classes")
    }
    found: Counter[_Key] = Counter()
    rows = Session.objects.filter(
        teaching_service_id__in=labels, source=Session.Source.TIMETABLE
    ).values_list("teaching_service_id", "starts_at", "ends_at", "room")
    for service_id, starts_at, ends_at, room in rows:
        subject, classes = labels[service_id]
        found[(starts_at.astimezone(PARIS), ends_at.astimezone(PARIS), subject, classes, room)] += 1
    return found


def _show(key: _Key) -> str:
    return f"{key[0]:%Y-%m-%d %H:%M} {key[2]} {'/'.join(key[3])} {key[4]}"
