"""The sample's directory side: AAF records, absent and misspelt people, loading and matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.samples import Sample, SampleFiles, generate_sample, write_sample
from ent.aaf.records import AafCategory, AafPerson
from ent.models import Establishment, Person, SchoolGroup
from ent.services.directory import aaf_import
from ent.text import name_key
from imports.matching import match_students, match_teachers
from imports.services.directory import directory_snapshot


def _people(sample: Sample, category: AafCategory) -> dict[str, AafPerson]:
    return {
        r.jointure: r
        for r in sample.aaf_records
        if isinstance(r, AafPerson) and r.category is category
    }


@pytest.mark.parametrize(("absent", "variant"), [(0.1, 0.2), (0.0, 0.0), (0.25, 0.5)])
def test_shares_of_absent_and_misspelt_people_are_what_was_asked(
    absent: float, variant: float
) -> None:
    sample = generate_sample(
        "small", seed=2, start_year=2026, absent_share=absent, variant_share=variant
    )
    t = sample.timetable
    students = _people(sample, AafCategory.STUDENT)
    teachers = {j: p for j, p in _people(sample, AafCategory.STAFF).items() if p.is_teacher}

    for kind, people, listed in (
        ("student", t.students, students),
        ("teacher", t.teachers, teachers),
    ):
        missing = [i for i in people if sample.directory_id_of(kind, i) is None]
        misspelt = [k for k in sample.variants if k[0] == kind]
        assert len(missing) == round(absent * len(people))
        assert len(misspelt) == round(variant * len(people))
        assert len(listed) == len(people) - len(missing)
        assert {("absent", i) for i in missing} == {
            ("absent", i) for k, i in sample.absent if k == kind
        }
        for ident, person in people.items():
            jointure = sample.directory_id_of(kind, ident)
            if jointure is None:
                continue
            record = listed[jointure]
            spelt = (record.last_name, record.first_name)
            assert record.birth_date == person.birth_date
            assert name_key(*spelt) == name_key(person.last_name, person.first_name)
            if (kind, ident) in sample.variants:
                assert spelt != (person.last_name, person.first_name)
            else:
                assert spelt == (person.last_name, person.first_name)


def test_directory_lists_students_in_their_class_and_groups(small: Sample) -> None:
    t = small.timetable
    structure = small.establishments[0].jointure

    for ident, student in t.students.items():
        jointure = small.directory_id_of("student", ident)
        if jointure is None:
            continue
        record = _people(small, AafCategory.STUDENT)[jointure]
        first_class = next(e.ident for e in student.enrolments if e.kind.value == "CLASS")
        assert record.ine == student.ine
        assert record.classes == ((structure, t.classes[first_class].name),)
        assert {code for _s, code in record.groups} == {
            small.directory_id_of("group", g) for g in small.student_groups(ident)
        }


@pytest.mark.django_db
def test_aaf_folder_loads_and_matches_everyone_but_the_absent(tmp_path: Path) -> None:
    sample = generate_sample("small", seed=4, start_year=2026, absent_share=0.1, variant_share=0.2)
    files: SampleFiles = write_sample(sample, tmp_path)
    group = SchoolGroup.objects.create(name="Cité scolaire de test")

    summary = aaf_import(folder=files.aaf_dir, school_group=group)

    t = sample.timetable
    establishment = Establishment.objects.get(uai=sample.uai)
    assert establishment.school_group == group
    assert summary.counts["establishments.created"] == 1
    present_students = [i for i in t.students if sample.directory_id_of("student", i)]
    present_teachers = [i for i in t.teachers if sample.directory_id_of("teacher", i)]
    assert Person.objects.filter(kind=Person.Kind.STUDENT).count() == len(present_students)
    assert Person.objects.filter(kind=Person.Kind.TEACHER).count() == len(present_teachers)
    assert establishment.classes.count() == len(t.classes)
    directory = directory_snapshot(school_group_id=group.pk, establishment_ids=[establishment.pk])
    students = match_students(
        t.students.values(), directory, {i: (s.ine, s.siecle_id) for i, s in t.students.items()}
    )
    teachers = match_teachers(
        t.teachers.values(), directory, {i: (x.idpn, x.sts_id) for i, x in t.teachers.items()}
    )
    jointures = dict(Person.objects.values_list("pk", "aaf_jointure"))
    for kind, result in (("student", students), ("teacher", teachers)):
        assert result.ambiguous == []
        assert {jointures[pk] for pk in result.matched.values()} == {
            sample.directory_id_of(kind, i) for i in result.matched
        }
        assert set(result.matched) == {
            i
            for i in (t.students if kind == "student" else t.teachers)
            if sample.directory_id_of(kind, i)
        }
