from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from devtools.container_encrypt import container_encrypt
from imports.parsers import Limits, ParseContext, parse_deposit
from imports.parsers.index_education import (
    CLOSING_LABEL,
    derive_closings,
    looks_like_index_education,
    parse_index_education,
)
from imports.parsers.registry import SourceFormat
from imports.timetable import (
    Course,
    Enrolment,
    Resource,
    SchoolYearSpan,
    Severity,
    SourceClosing,
    Timetable,
    TimetableInvalid,
    UnitKind,
)
from imports.weeks import mask_from_weeks
from tests.imports.parsers.conftest import PARTNER, KeyPair
from tests.imports.parsers.edt_fixtures import (
    NS,
    OTHER_UAI,
    SPEC_MASK,
    SPEC_WEEKS,
    UAI,
    course,
    edt_bytes,
    edt_root,
    section,
    to_bytes,
)
from tests.shared_spec import xsd

PARIS = ZoneInfo("Europe/Paris")


def _write(tmp_path: Path, data: bytes, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _parse(tmp_path: Path, data: bytes, context: ParseContext | None = None) -> Timetable:
    return parse_index_education(_write(tmp_path, data), context=context or ParseContext())


def _refusal(tmp_path: Path, data: bytes, context: ParseContext | None = None) -> TimetableInvalid:
    with pytest.raises(TimetableInvalid) as excinfo:
        _parse(tmp_path, data, context)
    assert any(p.severity == Severity.ERROR for p in excinfo.value.problems)
    return excinfo.value


def _codes(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.code for p in problems]


def _add_course(root: etree._Element, **kwargs: object) -> bytes:
    section(root, "Cours").append(course(**kwargs))  # type: ignore[arg-type]
    return to_bytes(root)


# --- the fixture and the mapping ------------------------------------------------------------


def test_the_handwritten_fixture_is_valid_against_index_educations_schema() -> None:
    schema = xsd("ExportEmploiDuTemps.xsd")

    valid = schema.validate(etree.fromstring(edt_bytes()))

    assert valid, schema.error_log


def test_the_school_year_end_becomes_exclusive_and_week_one_starts_on_its_monday(
    tmp_path: Path,
) -> None:
    timetable = _parse(tmp_path, edt_bytes())

    assert timetable.source_format == SourceFormat.INDEX_EDUCATION
    assert timetable.uai == UAI
    assert timetable.format_version == "1.1"
    assert timetable.year == SchoolYearSpan(
        start=dt.date(2025, 9, 1), end=dt.date(2026, 7, 4), week1_monday=dt.date(2025, 9, 1)
    )
    assert timetable.warnings == []


def test_the_grid_keeps_place_zero_as_the_first_place_of_the_day(tmp_path: Path) -> None:
    grid = _parse(tmp_path, edt_bytes()).grid

    assert grid is not None
    assert grid.days == (1, 2, 3, 4, 5)
    assert grid.slot_minutes == 60
    assert [s.number for s in grid.slots] == [0, 1, 2, 3]
    assert (grid.slots[0].start, grid.slots[0].end) == (dt.time(8), dt.time(9))


def test_teachers_keep_their_sts_pronote_and_cas_identifiers(tmp_path: Path) -> None:
    teacher = _parse(tmp_path, edt_bytes()).teachers["1"]

    assert (teacher.last_name, teacher.first_name) == ("DUPONT", "Marie")
    assert teacher.birth_date == dt.date(1980, 2, 29)
    assert (teacher.sts_id, teacher.idpn, teacher.cas_id) == ("4521", "PN-0001", "mdupont")


def test_class_parts_belong_to_their_class_and_groups_list_their_members(tmp_path: Path) -> None:
    timetable = _parse(tmp_path, edt_bytes())

    assert timetable.classes["1"].name == "3A"
    assert timetable.classes["1"].part_idents == ("11", "12")
    assert timetable.parts["12"].class_ident == "1"
    assert timetable.groups["1"].name == "3AGL1"
    assert timetable.groups["1"].class_idents == ("2",)
    assert timetable.groups["1"].part_idents == ("11",)
    assert timetable.rooms["2"].name == "Labo"
    assert timetable.subjects["3"].code == "AGL1"


def test_students_get_national_ids_sex_and_exclusive_enrolment_ends(tmp_path: Path) -> None:
    alice = _parse(tmp_path, edt_bytes()).students["1"]

    assert (alice.ine, alice.siecle_id, alice.idpn, alice.sex) == (
        "123456789AB",
        "98765",
        "PN-E1",
        "F",
    )
    assert (
        Enrolment(UnitKind.CLASS, "1", dt.date(2025, 9, 1), dt.date(2026, 7, 4)) in alice.enrolments
    )
    assert (
        Enrolment(UnitKind.PART, "11", dt.date(2025, 9, 1), dt.date(2026, 2, 1)) in alice.enrolments
    )


def test_group_membership_is_derived_from_the_classes_and_parts_a_group_is_made_of(
    tmp_path: Path,
) -> None:
    students = _parse(tmp_path, edt_bytes()).students

    in_part = Enrolment(UnitKind.GROUP, "1", dt.date(2025, 9, 1), dt.date(2026, 2, 1))
    in_class = Enrolment(UnitKind.GROUP, "1", dt.date(2025, 9, 1), dt.date(2026, 7, 4))
    assert in_part in students["1"].enrolments
    assert in_class in students["2"].enrolments
    assert students["2"].sex == "M"


def test_a_course_runs_from_the_start_of_its_first_place_to_the_end_of_its_last(
    tmp_path: Path,
) -> None:
    first = _parse(tmp_path, edt_bytes()).courses[0]

    assert first.ident == "Cours n° 1"
    assert (first.day, first.start, first.end) == (1, dt.time(8), dt.time(10))
    assert first.subject_ident == "1"
    assert first.teachers == (Resource("1", SPEC_WEEKS),)
    assert first.classes == (Resource("1", SPEC_WEEKS),)
    assert first.rooms == (Resource("1", SPEC_WEEKS),)
    assert first.weeks() == SPEC_WEEKS


def test_weeks_without_any_course_become_merged_closing_periods(tmp_path: Path) -> None:
    closings = _parse(tmp_path, edt_bytes()).closings

    assert closings == [
        SourceClosing(dt.date(2025, 10, 20), dt.date(2025, 11, 3), CLOSING_LABEL),
        SourceClosing(dt.date(2025, 12, 22), dt.date(2026, 1, 5), CLOSING_LABEL),
        SourceClosing(dt.date(2026, 2, 23), dt.date(2026, 3, 9), CLOSING_LABEL),
        SourceClosing(dt.date(2026, 4, 20), dt.date(2026, 5, 4), CLOSING_LABEL),
    ]


def test_closing_periods_are_clipped_to_the_school_year() -> None:
    year = SchoolYearSpan(
        start=dt.date(2025, 9, 2), end=dt.date(2025, 10, 1), week1_monday=dt.date(2025, 9, 1)
    )
    weekly = Course(
        ident="Cours n° 1",
        day=2,
        start=dt.time(8),
        end=dt.time(9),
        subject_ident="1",
        teachers=(Resource("1", frozenset({2, 3})),),
    )

    closings = derive_closings(year, [weekly])

    assert closings == [
        SourceClosing(dt.date(2025, 9, 2), dt.date(2025, 9, 8), CLOSING_LABEL),
        SourceClosing(dt.date(2025, 9, 22), dt.date(2025, 10, 1), CLOSING_LABEL),
    ]


def test_a_clear_export_deposited_is_recognised_and_parsed_by_parse_deposit(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, b"\xef\xbb\xbf" + edt_bytes(), "EXP_EDT.xml")

    timetable = parse_deposit(path, filename="EXP_EDT.xml", context=ParseContext())

    assert timetable.source_format == SourceFormat.INDEX_EDUCATION
    assert [c.ident for c in timetable.courses] == ["Cours n° 1", "Cours n° 2"]


# --- tolerance ------------------------------------------------------------------------------


def test_comments_unknown_elements_and_attributes_are_ignored(tmp_path: Path) -> None:
    root = edt_root()
    teacher = root.find(f"{{{NS}}}Cours/{{{NS}}}Cours/{{{NS}}}Professeur")
    assert teacher is not None
    teacher.append(etree.Comment("Domaine : [1..7,10..16,19..25,28..33,36..44]"))
    teacher.set("Inconnu", "x")
    section(root, "Matieres").append(etree.Element(f"{{{NS}}}Nouveaute", Ident="9"))
    root.append(etree.Element(f"{{{NS}}}SectionFuture"))

    timetable = _parse(tmp_path, to_bytes(root))

    assert len(timetable.courses) == 2
    assert timetable.courses[0].teachers == (Resource("1", SPEC_WEEKS),)
    assert set(timetable.subjects) == {"1", "2", "3"}
    assert timetable.warnings == []


def test_namespaces_are_matched_by_uri_or_local_name_never_by_prefix(tmp_path: Path) -> None:
    prefixed = edt_bytes().replace(b'xmlns="', b'xmlns:edt="')
    prefixed = prefixed.replace(b"<", b"<edt:").replace(b"<edt:/", b"</edt:")
    prefixed = prefixed.replace(b"<edt:?xml", b"<?xml")

    timetable = _parse(tmp_path, prefixed)

    assert looks_like_index_education(prefixed)
    assert b"<edt:ExportEmploiDuTemps" in prefixed
    assert len(timetable.courses) == 2


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- export -->\n'
            b'<ExportEmploiDuTemps Version="1.1">',
            True,
        ),
        (
            b'<x:EXPORT_INDEX_EDUCATION xmlns:x="http://www.index-education.com/conteneurexportchiffre">',
            True,
        ),
        (b"<ExportEmploiDuTemps UAI=", True),
        (b"<?xml version='1.0'?><FICHIER_AAF/>", False),
        (b"PK\x03\x04 not xml at all", False),
        (b"<!-- <ExportEmploiDuTemps> --><Autre/>", False),
    ],
)
def test_index_education_files_are_told_by_their_root_element(head: bytes, expected: bool) -> None:
    assert looks_like_index_education(head) is expected


# --- hostile and broken files ---------------------------------------------------------------


def test_a_billion_laughs_document_is_refused_without_expanding_anything(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE ExportEmploiDuTemps [<!ENTITY lol0 "lol">{entities}]>'
        '<ExportEmploiDuTemps Version="1.1" UAI="&lol9;"/>'
    ).encode()

    invalid = _refusal(tmp_path, bomb)

    assert _codes(invalid.problems) == ["unsafe_xml"]
    assert "ENTITY" in invalid.problems[0].message


def test_an_external_entity_never_leaks_a_local_file(tmp_path: Path) -> None:
    xxe = (
        edt_bytes()
        .replace(
            b"<ExportEmploiDuTemps",
            b'<!DOCTYPE ExportEmploiDuTemps [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            b"<ExportEmploiDuTemps",
            1,
        )
        .replace(b'Nom="DUPONT"', b'Nom="&xxe;"')
    )

    invalid = _refusal(tmp_path, xxe)

    assert _codes(invalid.problems) == ["unsafe_xml"]
    assert all("root:" not in p.message for p in invalid.problems)


@pytest.mark.parametrize("use", [b'Nom="&xxe;"', b'Nom="&lol9;"', b'Nom="DUPONT"'])
def test_entity_declarations_hidden_after_a_long_comment_are_still_refused(
    tmp_path: Path, use: bytes
) -> None:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    doctype = (
        "<!--" + "x" * 70_000 + "-->"
        f'<!DOCTYPE ExportEmploiDuTemps [<!ENTITY lol0 "lol">{entities}'
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<ExportEmploiDuTemps'
    )
    data = edt_bytes().replace(b"<ExportEmploiDuTemps", doctype.encode(), 1)

    invalid = _refusal(tmp_path, data.replace(b'Nom="DUPONT"', use))

    assert _codes(invalid.problems) == ["unsafe_xml"]
    assert all("root:" not in p.message for p in invalid.problems)


def test_an_external_dtd_is_never_loaded(tmp_path: Path) -> None:
    with_dtd = edt_bytes().replace(
        b"<ExportEmploiDuTemps",
        b'<!DOCTYPE ExportEmploiDuTemps SYSTEM "file:///etc/passwd">\n<ExportEmploiDuTemps',
        1,
    )

    timetable = _parse(tmp_path, with_dtd)

    assert timetable.teachers["1"].last_name == "DUPONT"
    assert all("root:" not in t.last_name for t in timetable.teachers.values())


def test_an_undeclared_entity_reference_is_refused_not_crashed_on(tmp_path: Path) -> None:
    invalid = _refusal(tmp_path, edt_bytes().replace(b'Nom="DUPONT"', b'Nom="&xxe;"'))

    assert _codes(invalid.problems) == ["truncated"]


def test_a_truncated_export_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data = edt_bytes()

    invalid = _refusal(tmp_path, data[: int(len(data) * 0.7)])

    assert _codes(invalid.problems) == ["truncated"]
    assert "incomplet" in invalid.problems[0].message
    assert "Relancez l'export" in invalid.problems[0].action


def test_an_unsupported_format_version_is_refused(tmp_path: Path) -> None:
    invalid = _refusal(tmp_path, edt_bytes(version="2.0"))

    assert _codes(invalid.problems) == ["unsupported_version"]


def test_another_xml_document_is_refused_as_an_unknown_root(tmp_path: Path) -> None:
    invalid = _refusal(tmp_path, b"<?xml version='1.0'?><Autre><a/></Autre>")

    assert _codes(invalid.problems) == ["unknown_root"]


@pytest.mark.parametrize(
    ("name", "code"), [("AnneeScolaire", "missing_year"), ("GrilleHoraire", "missing_grid")]
)
def test_a_missing_structural_section_is_an_error(tmp_path: Path, name: str, code: str) -> None:
    root = edt_root()
    root.remove(section(root, name))

    invalid = _refusal(tmp_path, to_bytes(root))

    assert code in _codes(invalid.problems)


def test_unreadable_school_year_dates_are_errors(tmp_path: Path) -> None:
    invalid = _refusal(tmp_path, edt_bytes(year_end="03/07/2026"))

    assert _codes(invalid.problems) == ["bad_date"]
    assert "DateFin" in invalid.problems[0].message


def test_a_school_year_ending_before_it_starts_is_an_error(tmp_path: Path) -> None:
    invalid = _refusal(tmp_path, edt_bytes(year_end="2025-06-30"))

    assert _codes(invalid.problems) == ["bad_date"]


def test_a_first_week_not_starting_on_monday_is_an_error(tmp_path: Path) -> None:
    invalid = _refusal(tmp_path, edt_bytes(week1="2025-09-02"))

    assert _codes(invalid.problems) == ["bad_date"]
    assert "lundi" in invalid.problems[0].message


# --- item-level problems are warnings -------------------------------------------------------


def test_a_course_with_places_outside_the_grid_is_a_warning_and_the_import_goes_on(
    tmp_path: Path,
) -> None:
    data = _add_course(
        edt_root(), day=2, first_place=3, places=2, subject="1", teachers={"1": SPEC_MASK}
    )

    timetable = _parse(tmp_path, data)

    assert [c.ident for c in timetable.courses] == ["Cours n° 1", "Cours n° 2"]
    [warning] = timetable.warnings
    assert (warning.code, warning.ref, warning.severity) == (
        "course_outside_grid",
        "Cours n° 3",
        Severity.WARNING,
    )
    assert "places 3 à 4" in warning.message


def test_a_course_with_an_absurd_number_of_places_is_a_warning_read_without_counting_them(
    tmp_path: Path,
) -> None:
    data = _add_course(
        edt_root(), day=2, first_place=0, places=10**40, subject="1", teachers={"1": SPEC_MASK}
    )

    timetable = _parse(tmp_path, data)

    [warning] = timetable.warnings
    assert (warning.code, warning.ref) == ("course_outside_grid", "Cours n° 3")
    assert f"places 0 à {10**40 - 1}" in warning.message


def test_a_superscript_digit_in_a_course_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    data = _add_course(
        edt_root(), day=2, first_place=0, places="²", subject="1", teachers={"1": SPEC_MASK}
    )

    timetable = _parse(tmp_path, data)

    [warning] = timetable.warnings
    assert warning.code == "bad_course"
    assert "nombre de places « ² » illisible" in warning.message


def test_a_dangling_teacher_ident_is_a_warning_and_only_that_resource_is_ignored(
    tmp_path: Path,
) -> None:
    data = _add_course(
        edt_root(),
        day=2,
        first_place=0,
        places=1,
        subject="2",
        teachers={"7": SPEC_MASK},
        classes={"2": SPEC_MASK},
    )

    timetable = _parse(tmp_path, data)

    added = timetable.courses[2]
    assert added.teachers == ()
    assert added.classes == (Resource("2", SPEC_WEEKS),)
    [warning] = timetable.warnings
    assert warning.code == "unknown_ident"
    assert warning.ref == "Cours n° 3 / Professeur Ident=7"


def test_a_course_of_an_unknown_subject_is_dropped_with_a_warning(tmp_path: Path) -> None:
    data = _add_course(
        edt_root(), day=2, first_place=0, places=1, subject="99", classes={"2": SPEC_MASK}
    )

    timetable = _parse(tmp_path, data)

    assert len(timetable.courses) == 2
    assert [w.ref for w in timetable.warnings] == ["Cours n° 3 / Matiere Ident=99"]


def test_dangling_idents_in_groups_and_enrolments_are_warnings(tmp_path: Path) -> None:
    root = edt_root()
    group = section(root, "Groupes")[0]
    group.append(etree.Element(f"{{{NS}}}PartieDeClasse", Ident="404"))
    student = section(root, "Eleves")[1]
    student.append(
        etree.Element(
            f"{{{NS}}}Classe", Ident="77", DateEntree="2025-09-01", DateSortie="2026-07-03"
        )
    )

    timetable = _parse(tmp_path, to_bytes(root))

    assert timetable.groups["1"].part_idents == ("11",)
    assert all(e.ident != "77" for e in timetable.students["2"].enrolments)
    assert sorted(w.ref for w in timetable.warnings) == [
        "Eleve Ident=2 / Classe Ident=77",
        "Groupe Ident=1 / PartieDeClasse Ident=404",
    ]


def test_semaines_inclusion_is_used_when_semaines_is_missing(tmp_path: Path) -> None:
    root = edt_root()
    added = course(day=4, first_place=1, places=1, subject="2", classes={"1": 0})
    resource = added[1]
    del resource.attrib["Semaines"]
    resource.set("SemainesInclusion", str(mask_from_weeks([3, 4, 5])))
    section(root, "Cours").append(added)

    timetable = _parse(tmp_path, to_bytes(root))

    assert timetable.courses[2].classes == (Resource("1", frozenset({3, 4, 5})),)
    assert timetable.warnings == []


def test_semaines_annulation_cancels_weeks_of_the_course(tmp_path: Path) -> None:
    root = edt_root()
    added = course(
        day=4, first_place=1, places=1, subject="2", classes={"1": mask_from_weeks(range(1, 11))}
    )
    added.set("SemainesAnnulation", str(mask_from_weeks([2, 5])))
    section(root, "Cours").append(added)

    timetable = _parse(tmp_path, to_bytes(root))

    cancelled = timetable.courses[2]
    assert cancelled.cancelled_weeks == frozenset({2, 5})
    assert cancelled.weeks() == frozenset({1, 3, 4, 6, 7, 8, 9, 10})


def test_an_unreadable_week_mask_is_a_warning_naming_the_resource(tmp_path: Path) -> None:
    root = edt_root()
    added = course(day=4, first_place=1, places=1, subject="2", classes={"1": 1}, rooms={"1": 6})
    added[1].set("Semaines", "-5")
    section(root, "Cours").append(added)

    timetable = _parse(tmp_path, to_bytes(root))

    assert timetable.courses[2].classes == ()
    assert timetable.courses[2].rooms == (Resource("1", frozenset({1, 2})),)
    [warning] = timetable.warnings
    assert (warning.code, warning.ref) == ("bad_weeks", "Cours n° 3 / Classe Ident=1")


# --- the encrypted container ----------------------------------------------------------------


def _container(payload: bytes, keys: KeyPair, *, uai: str = UAI) -> bytes:
    return container_encrypt(
        payload,
        recipients={"INDEXEDUCATION": keys.public_pem, PARTNER: keys.public_pem},
        uai=uai,
        software="EDT 2025 - 2.0.1",
        exported_at=dt.datetime(2025, 9, 20, 8, 30, tzinfo=PARIS),
    )


def test_an_encrypted_export_is_decrypted_and_parsed(
    tmp_path: Path, ent_keys: KeyPair, context: ParseContext
) -> None:
    timetable = _parse(tmp_path, _container(edt_bytes(), ent_keys), context)

    assert timetable.source_format == SourceFormat.INDEX_EDUCATION_ENCRYPTED
    assert timetable.software == "EDT 2025 - 2.0.1"
    assert timetable.exported_at == dt.datetime(2025, 9, 20, 8, 30, tzinfo=PARIS)
    assert timetable.uai == UAI
    assert len(timetable.courses) == 2


def test_a_container_whose_uai_differs_from_its_payload_is_refused(
    tmp_path: Path, ent_keys: KeyPair, context: ParseContext
) -> None:
    invalid = _refusal(tmp_path, _container(edt_bytes(), ent_keys, uai=OTHER_UAI), context)

    assert _codes(invalid.problems) == ["uai_container_mismatch"]
    assert OTHER_UAI in invalid.problems[0].message
    assert UAI in invalid.problems[0].message


def test_a_hostile_payload_inside_a_valid_container_is_still_refused(
    tmp_path: Path, ent_keys: KeyPair, context: ParseContext
) -> None:
    hostile = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ExportEmploiDuTemps UAI="&e;"/>'
    )

    invalid = _refusal(tmp_path, _container(hostile, ent_keys), context)

    assert _codes(invalid.problems) == ["unsafe_xml"]


def test_the_decrypted_size_limit_of_the_context_applies(tmp_path: Path, ent_keys: KeyPair) -> None:
    tight = ParseContext(
        partner_name=PARTNER,
        private_key_pem=ent_keys.private_pem,
        limits=Limits(max_decrypted_bytes=1024),
    )

    invalid = _refusal(tmp_path, _container(edt_bytes(), ent_keys), tight)

    assert _codes(invalid.problems) == ["decompression_bomb"]
