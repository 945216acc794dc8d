"""The burst benchmark's fleet: N establishments in M school groups, ready to deposit.

Each establishment comes from a generated sample (:mod:`devtools.samples`), its identifiers
made unique in the fleet (UAI, AAF jointures), its directory loaded with the AAF import, its
school group given the sample's school year and one depositor account. A school group of two
establishments is, every other time, one ``medium`` cité scolaire (collège and lycée sharing
one export, deposited in the group folder); every other establishment is a ``small`` sample
deposited in its own establishment folder. A deposit target is therefore one export.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import Message, User
from deposits.services import credential_reveal_consume, depositor_account_create
from devtools.aaf_writer import write_aaf_folder
from devtools.samples import Sample, generate_sample, write_index_education_xml
from ent.aaf.records import AafPerson, AafRecord, AafStructure
from ent.identifiers import make_uai
from ent.models import Establishment, SchoolGroup, SchoolYear, Session, TeachingService
from ent.services.directory import aaf_import

PARIS = ZoneInfo("Europe/Paris")
SMALL, MEDIUM = "small", "medium"
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


def fleet_create(
    *, establishments: int, groups: int, seed: int, folder: Path, now: dt.datetime
) -> Fleet:
    """Create the fleet in the database and write each target's export under ``folder``."""
    tag = uuid.uuid4().hex[:6]
    targets: list[Target] = []
    depositors: dict[int, Depositor] = {}
    group_ids: list[int] = []
    unit = 0
    # Fleet UAIs and jointures stay clear of earlier fleets in the same database.
    uai_start = Establishment.objects.count()
    for index, size in enumerate(group_sizes(establishments, groups)):
        school_group = SchoolGroup.objects.create(name=f"Banc d'essai {tag} n° {index + 1}")
        group_ids.append(school_group.pk)
        presets = [MEDIUM] if size == 2 and index % 2 == 0 else [SMALL] * size
        years: set[tuple[dt.date, dt.date]] = set()
        for preset in presets:
            unit += 1
            target, year = _unit_load(
                school_group,
                preset=preset,
                seed=seed * 100_000 + unit,
                unit=unit,
                uai_number=_UAI_BASE + (uai_start + unit) * 2,
                prefix=f"B{tag}{unit}-",
                folder=folder,
            )
            targets.append(target)
            years.add(year)
        for start, end in years:
            SchoolYear.objects.create(school_group=school_group, start_date=start, end_date=end)
        depositors[school_group.pk] = _depositor(school_group, tag=tag, index=index, now=now)
    return Fleet(
        tag=tag, school_group_ids=tuple(group_ids), targets=tuple(targets), depositors=depositors
    )


def _unit_load(
    school_group: SchoolGroup,
    *,
    preset: str,
    seed: int,
    unit: int,
    uai_number: int,
    prefix: str,
    folder: Path,
) -> tuple[Target, tuple[dt.date, dt.date]]:
    sample = generate_sample(preset, seed=seed)
    uais = {e.uai: make_uai(f"{uai_number + n:07d}") for n, e in enumerate(sample.establishments)}
    unit_dir = folder / f"u{unit:05d}"
    aaf_dir = unit_dir / "aaf"
    write_aaf_folder(
        aaf_dir,
        _unique_records(sample, prefix=prefix, uais=uais),
        export_date=sample.directory_date,
    )
    main_uai = uais[sample.establishments[0].uai]
    edt_path = unit_dir / f"edt_{main_uai}.xml"
    edt_path.write_bytes(write_index_education_xml(sample.timetable, uai=main_uai))
    with transaction.atomic():
        aaf_import(folder=aaf_dir, school_group=school_group)
    by_uai = dict(Establishment.objects.filter(uai__in=uais.values()).values_list("uai", "pk"))
    ids = tuple(by_uai[uais[e.uai]] for e in sample.establishments)
    target = Target(
        key=f"u{unit}",
        preset=preset,
        seed=seed,
        school_group_id=school_group.pk,
        establishment_id=None if preset == MEDIUM else ids[0],
        establishment_ids=ids,
        uais=tuple(uais.values()),
        edt_path=edt_path,
    )
    year = sample.timetable.year
    return target, (year.start, year.end)


def _unique_records(sample: Sample, *, prefix: str, uais: dict[str, str]) -> Iterator[AafRecord]:
    """The sample's AAF records with UAIs and jointures no other unit of the fleet uses."""

    def jointure(value: str) -> str:
        return prefix + value

    def ref(pair: tuple[str, str]) -> tuple[str, str]:
        return (jointure(pair[0]), pair[1])

    def ref3(triple: tuple[str, str, str]) -> tuple[str, str, str]:
        return (jointure(triple[0]), triple[1], triple[2])

    for record in sample.aaf_records:
        if isinstance(record, AafStructure):
            yield dataclasses.replace(
                record, jointure=jointure(record.jointure), uai=uais[record.uai]
            )
        elif isinstance(record, AafPerson):
            yield dataclasses.replace(
                record,
                jointure=jointure(record.jointure),
                structures=tuple(jointure(s) for s in record.structures),
                classes=tuple(ref(c) for c in record.classes),
                groups=tuple(ref(g) for g in record.groups),
                class_subjects=tuple(ref3(c) for c in record.class_subjects),
                group_subjects=tuple(ref3(g) for g in record.group_subjects),
                functions=tuple(_function(f, jointure) for f in record.functions),
            )
        else:
            yield record


def _function(value: str, jointure: object) -> str:
    head, _, rest = value.partition("$")
    return f"{jointure(head)}${rest}" if rest else value  # type: ignore[operator]


def _depositor(school_group: SchoolGroup, *, tag: str, index: int, now: dt.datetime) -> Depositor:
    user = User.objects.create(
        username=f"depot-{tag}-{index + 1}", first_name="Dépôt", last_name=f"Banc {index + 1}"
    )
    account = depositor_account_create(
        school_group=school_group, user=user, notify=True, created_by=None, now=now
    )
    token = Message.objects.filter(recipient=user).latest("pk").link.rsplit("/", 2)[-2]
    password = credential_reveal_consume(token=token, user=user, now=now).password
    return Depositor(school_group_id=school_group.pk, login=account.login, password=password)


# --- checking what each target holds -------------------------------------------------------

_Key = tuple[dt.datetime, dt.datetime, str, tuple[str, ...], str]


def target_differences(target: Target, *, since: dt.datetime, limit: int = 5) -> list[str]:
    """Compare the target's sessions with what its export implies from ``since`` on.

    Compared per session: start, end (Europe/Paris), subject code, classes and room, with
    their multiplicity (teachers and groups are checked by the end-to-end tests).
    """
    sample = generate_sample(target.preset, seed=target.seed)
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
