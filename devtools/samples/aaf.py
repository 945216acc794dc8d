"""The directory side of a sample: the AAF records of its establishments and people.

Everyone in the timetable is listed, except the people the sample leaves out
(``Sample.absent``), and with the spelling the sample chose for some of them
(``Sample.variants``). Students are in the class they attend on ``Sample.directory_date``
and in their groups; teachers carry the classes, groups and subjects they teach.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import TYPE_CHECKING

from devtools.samples.catalogue import (
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    SUBJECTS,
)
from ent.aaf.records import AafCategory, AafPerson, AafRecord, AafStructure, AafSubject
from ent.text import ascii_fold
from imports.timetable import Student, UnitKind

if TYPE_CHECKING:
    from devtools.samples.model import Sample


def aaf_records(sample: Sample, *, disciplines: dict[str, str]) -> list[AafRecord]:
    """Return the AAF records of ``sample``; ``disciplines`` maps teacher idents to theirs."""
    return _AafBuilder(sample, disciplines).records()


class _AafBuilder:
    """The directory side of the sample: the AAF records of its establishments and people."""

    def __init__(self, sample: Sample, disciplines: dict[str, str]) -> None:
        self.sample = sample
        self.disciplines = disciplines

    def records(self) -> list[AafRecord]:
        sample = self.sample
        records: list[AafRecord] = [
            AafStructure(
                jointure=e.jointure,
                uai=e.uai,
                name=e.name,
                structure_type="SANS OBJET",
                postal_code=e.postal_code,
                city=e.city,
            )
            for e in sample.establishments
        ]
        records += [
            AafSubject(jointure=s.code, label=s.label) for s in sample.timetable.subjects.values()
        ]
        records += self._students()
        records += self._teachers()
        records += self._administration()
        return records

    def _names(self, kind: str, ident: str, last: str, first: str) -> tuple[str, str]:
        return self.sample.variants.get((kind, ident), (last, first))

    def _students(self) -> list[AafPerson]:
        sample, t = self.sample, self.sample.timetable
        people = []
        for ident, student in sorted(t.students.items(), key=lambda kv: int(kv[0])):
            jointure = sample.directory_id_of("student", ident)
            if jointure is None:
                continue
            klass = self._class_at(student, sample.directory_date)
            structure = sample.establishment_of("class", klass).jointure
            last, first = self._names("student", ident, student.last_name, student.first_name)
            people.append(
                AafPerson(
                    category=AafCategory.STUDENT,
                    jointure=jointure,
                    last_name=last,
                    first_name=first,
                    birth_date=student.birth_date,
                    title="Mme" if student.sex == "F" else "M.",
                    structures=(structure,),
                    ine=student.ine,
                    classes=((structure, t.classes[klass].name),),
                    groups=tuple(
                        (structure, t.groups[g].name) for g in sample.student_groups(ident)
                    ),
                )
            )
        return people

    @staticmethod
    def _class_at(student: Student, day: dt.date) -> str:
        classes = [e for e in student.enrolments if e.kind is UnitKind.CLASS]
        for enrolment in classes:
            if (enrolment.start or day) <= day < (enrolment.end or dt.date.max):
                return enrolment.ident
        return classes[0].ident

    def _teachers(self) -> list[AafPerson]:
        sample, t = self.sample, self.sample.timetable
        taught: dict[str, set[tuple[str, str, str]]] = defaultdict(set)  # → (kind, unit, subject)
        for course in t.courses:
            subject = t.subjects[course.subject_ident].code
            for resource in course.teachers:
                for r in course.classes:
                    taught[resource.ident].add(("class", r.ident, subject))
                for r in course.groups:
                    taught[resource.ident].add(("group", r.ident, subject))
                for r in course.parts:
                    taught[resource.ident].add(("class", t.parts[r.ident].class_ident, subject))
        people = []
        for ident, teacher in sorted(t.teachers.items(), key=lambda kv: int(kv[0])):
            jointure = sample.directory_id_of("teacher", ident)
            if jointure is None:
                continue
            home = sample.establishment_of("teacher", ident)
            units = sorted(taught[ident])
            others = {sample.establishment_of(k, u).jointure for k, u, _s in units}
            structures = [home.jointure, *sorted(others - {home.jointure})]
            discipline = self.disciplines[ident]
            label = next(s.label for s in SUBJECTS.values() if s.discipline == discipline)
            last, first = self._names("teacher", ident, teacher.last_name, teacher.first_name)

            def unit_ref(kind: str, unit: str) -> tuple[str, str]:
                name = t.classes[unit].name if kind == "class" else t.groups[unit].name
                return (sample.establishment_of(kind, unit).jointure, name)

            people.append(
                AafPerson(
                    category=AafCategory.STAFF,
                    jointure=jointure,
                    last_name=last,
                    first_name=first,
                    birth_date=teacher.birth_date,
                    title="M." if teacher.first_name in MALE_FIRST_NAMES else "Mme",
                    email=_email(teacher.first_name, teacher.last_name),
                    structures=tuple(structures),
                    is_teacher=True,
                    classes=tuple(sorted({unit_ref(k, u) for k, u, _s in units if k == "class"})),
                    groups=tuple(sorted({unit_ref(k, u) for k, u, _s in units if k == "group"})),
                    class_subjects=tuple(
                        sorted({(*unit_ref(k, u), s) for k, u, s in units if k == "class"})
                    ),
                    group_subjects=tuple(
                        sorted({(*unit_ref(k, u), s) for k, u, s in units if k == "group"})
                    ),
                    functions=(f"{home.jointure}$ENS$ENSEIGNEMENT${discipline}${label}",),
                )
            )
        return people

    def _administration(self) -> list[AafPerson]:
        """The head and the CPE of each establishment: staff who never appear in a timetable."""
        people = []
        rng = random.Random(f"{self.sample.seed}:administration")  # noqa: S311 - synthetic data
        functions = ("DIR$DIRECTION$D0010$PERSONNEL DE DIRECTION", "EDU$EDUCATION$E0030$CPE")
        t = self.sample.timetable
        # A homonym of a timetable teacher would make name-only matching ambiguous.
        taken = {(p.last_name, p.first_name) for p in t.teachers.values()}
        taken |= {(p.last_name, p.first_name) for p in t.students.values()}
        for establishment in self.sample.establishments:
            for rank, function in enumerate(functions):
                female = rng.random() < 0.5
                last, first = _fresh_name(rng, female, taken)
                people.append(
                    AafPerson(
                        category=AafCategory.STAFF,
                        jointure=f"9{establishment.jointure}{rank}",
                        last_name=last,
                        first_name=first,
                        birth_date=dt.date(
                            1965 + rng.randint(0, 20), rng.randint(1, 12), rng.randint(1, 28)
                        ),
                        title="Mme" if female else "M.",
                        email=_email(first, last),
                        structures=(establishment.jointure,),
                        is_teacher=False,
                        functions=(f"{establishment.jointure}${function}",),
                    )
                )
        return people


def _fresh_name(rng: random.Random, female: bool, taken: set[tuple[str, str]]) -> tuple[str, str]:
    """Draw a (last, first) name nobody in ``taken`` has, and take it."""
    while True:
        name = (
            rng.choice(LAST_NAMES),
            rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES),
        )
        if name not in taken:
            taken.add(name)
            return name


def _email(first: str, last: str) -> str:
    def clean(value: str) -> str:
        return "".join(
            c for c in ascii_fold(value).lower().replace(" ", "-") if c.isalnum() or c == "-"
        )

    return f"{clean(first)}.{clean(last)}@ac-normandie.fr"
