"""The UnDeuxTEMPS parser on hand-written publications: mapping, tolerance and problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from imports.parsers import ParseContext, parse_deposit
from imports.parsers.registry import SourceFormat
from imports.parsers.undeuxtemps import parse_undeuxtemps_zip
from imports.sessions import timetable_occurrences
from imports.timetable import (
    Enrolment,
    Severity,
    SourceClosing,
    Timetable,
    TimetableInvalid,
    UnitKind,
)
from tests.imports.parsers.comparison import occurrence_keys
from tests.imports.parsers.udt_fixtures import MINIMAL, body, minimal, write_zip

ALL_WEEKS = frozenset(range(1, 45))


def _parse(tmp_path: Path, files: dict[str, str], **zip_options: object) -> Timetable:
    path = write_zip(tmp_path / "udt.zip", files, **zip_options)  # type: ignore[arg-type]
    return parse_undeuxtemps_zip(path, context=ParseContext())


def _refusal(tmp_path: Path, files: dict[str, str]) -> TimetableInvalid:
    with pytest.raises(TimetableInvalid) as caught:
        _parse(tmp_path, files)
    assert all(p.severity is Severity.ERROR and p.action for p in caught.value.problems)
    return caught.value


def _lignes(*lignes: str) -> str:
    return body("UDCal_12", *lignes)


def _mask(*iso_weeks: int) -> str:
    return str(sum(1 << (week - 1) for week in iso_weeks))


# Mapping


def test_minimal_publication_gives_its_course_entities_and_calendar(tmp_path: Path) -> None:
    timetable = _parse(tmp_path, MINIMAL)

    assert timetable.source_format == SourceFormat.UNDEUXTEMPS
    assert timetable.year.start == dt.date(2024, 9, 2)
    assert timetable.year.end == dt.date(2025, 7, 5)
    assert timetable.year.week1_monday == dt.date(2024, 9, 2)
    assert timetable.closings == [
        SourceClosing(dt.date(2024, 10, 19), dt.date(2024, 11, 4), "Toussaint")
    ]
    [course] = timetable.courses
    assert (course.day, course.start, course.end) == (1, dt.time(8), dt.time(9))
    assert course.subject_ident == "MATHS"
    assert [(r.ident, r.weeks) for r in course.teachers] == [("T1", ALL_WEEKS)]
    assert [(r.ident, r.weeks) for r in course.classes] == [("6A", ALL_WEEKS)]
    assert [(r.ident, r.weeks) for r in course.rooms] == [("R1", ALL_WEEKS)]
    teacher = timetable.teachers["T1"]
    assert (teacher.last_name, teacher.first_name) == ("Martin", "Claire")
    assert (teacher.birth_date, teacher.sts_id) == (dt.date(1980, 4, 2), "1001")
    assert timetable.subjects["MATHS"].label == "Mathématiques"
    assert timetable.classes["6B"].name == "6B"
    assert timetable.groups["77"].name == "6A_G1"
    assert timetable.groups["R6"].name == "LATIN 6"
    assert timetable.groups["R6"].class_idents == ("6A", "6B")
    assert timetable.grid is not None
    assert timetable.grid.slot_minutes == 30
    assert [(s.number, s.start, s.end) for s in timetable.grid.slots] == [
        (1, dt.time(8, 0), dt.time(8, 30)),
        (2, dt.time(8, 30), dt.time(9, 0)),
        (3, dt.time(9, 0), dt.time(9, 30)),
    ]
    assert timetable.warnings == []


def test_closing_period_leaves_no_session_inside_it(tmp_path: Path) -> None:
    timetable = _parse(tmp_path, MINIMAL)

    dates = {o.date for o in timetable_occurrences(timetable)}

    assert len(dates) == 44 - 2
    assert dt.date(2024, 10, 14) in dates
    assert dt.date(2024, 10, 21) not in dates
    assert dt.date(2024, 10, 28) not in dates
    assert dt.date(2024, 11, 4) in dates


def test_a_course_made_of_a_single_ligne_is_kept(tmp_path: Path) -> None:
    files = minimal(
        UDCal_12_xml=_lignes('<ligfiche code="00303" fic="3" div="6A" mat="MATHS" prof="T1"/>')
    )

    timetable = _parse(tmp_path, files)

    assert [(c.start, c.end) for c in timetable.courses] == [(dt.time(9), dt.time(9, 30))]


def test_back_to_back_lignes_with_a_gap_in_their_numbers_are_two_courses(tmp_path: Path) -> None:
    files = minimal(
        UDCal_12_xml=_lignes(
            '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="00302" fic="2" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="00403" fic="3" div="6A" mat="MATHS" prof="T1"/>',
        )
    )

    timetable = _parse(tmp_path, files)

    assert sorted((c.start, c.end) for c in timetable.courses) == [
        (dt.time(8), dt.time(8, 30)),
        (dt.time(8, 30), dt.time(9, 30)),
    ]


def test_lignes_without_numbered_codes_are_joined_by_their_times(tmp_path: Path) -> None:
    files = minimal(
        UDCal_12_xml=_lignes(
            '<ligfiche code="B" fic="2" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="A" fic="1" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="C" fic="3" div="6A" mat="MATHS" prof="T1"/>',
        )
    )

    timetable = _parse(tmp_path, files)

    assert [(c.start, c.end) for c in timetable.courses] == [(dt.time(8), dt.time(9, 30))]


def test_lignes_of_one_teacher_for_two_divisions_at_once_are_one_course(tmp_path: Path) -> None:
    files = minimal(
        UDCal_12_xml=_lignes(
            '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T1" salle="R1"/>',
            '<ligfiche code="00102" fic="1" div="6B" mat="MATHS" prof="T1"/>',
        )
    )

    timetable = _parse(tmp_path, files)

    [course] = timetable.courses
    assert {r.ident for r in course.classes} == {"6A", "6B"}
    assert {r.ident for r in course.rooms} == {"R1"}


def test_group_and_regroupement_lignes_are_for_the_group_not_the_division(tmp_path: Path) -> None:
    files = minimal(
        UDCal_12_xml=_lignes(
            '<ligfiche code="00101" fic="1" div="6A" gpe="G1" mat="MATHS" prof="T1"/>',
            '<ligfiche code="00102" fic="2" div="" rgpmt="R6" mat="MATHS" prof="T2"/>',
        )
    )

    timetable = _parse(tmp_path, files)

    by_teacher = {c.teachers[0].ident: c for c in timetable.courses}
    assert [r.ident for r in by_teacher["T1"].groups] == ["77"]
    assert by_teacher["T1"].classes == ()
    assert [r.ident for r in by_teacher["T2"].groups] == ["R6"]


def test_co_teachers_are_added_by_code_or_by_epj(tmp_path: Path) -> None:
    files = minimal(
        UDCal_23_xml=body("UDCal_23", '<coens lignefic="00101" prof="" epj="1002"/>'),
    )

    timetable = _parse(tmp_path, files)

    [course] = timetable.courses
    assert {r.ident for r in course.teachers} == {"T1", "T2"}


def test_a_weekly_file_replaces_the_theoretical_timetable_for_its_week_only(
    tmp_path: Path,
) -> None:
    weekly = _lignes(
        '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T2"/>',
        '<ligfiche code="00202" fic="2" div="6A" mat="MATHS" prof="T2"/>',
    )
    files = minimal(semaines_xml=body("semaines", '<semaine num="36"/>', '<semaine num="38"/>'))
    files["UDCal_12_38.xml"] = weekly
    files["UDCal_23_38.xml"] = body("UDCal_23", '<coens lignefic="00202" prof="T1"/>')

    timetable = _parse(tmp_path, files)

    [course] = timetable.courses
    weeks = {r.ident: r.weeks for r in course.teachers}
    assert weeks == {"T1": ALL_WEEKS, "T2": frozenset({3})}


def test_a_weekly_file_for_a_week_not_listed_in_semaines_is_ignored_with_a_warning(
    tmp_path: Path,
) -> None:
    files = minimal()
    files["UDCal_12_40.xml"] = _lignes()

    timetable = _parse(tmp_path, files)

    [course] = timetable.courses
    assert course.weeks() == ALL_WEEKS
    [warning] = timetable.warnings
    assert warning.code == "udt_weekly_file_ignored"
    assert warning.severity is Severity.WARNING
    assert warning.ref == "UDCal_12_40.xml"


def test_the_publication_window_starts_at_the_first_period(tmp_path: Path) -> None:
    files = minimal(semaines_xml=body("semaines", '<semaine num="2"/>'))

    timetable = _parse(tmp_path, files)

    first_week = (dt.date(2025, 1, 6) - dt.date(2024, 9, 2)).days // 7 + 1
    assert timetable.courses[0].weeks() == frozenset(range(first_week, 45))


# Students


def _enrolments(tmp_path: Path, *memberships: str) -> tuple[Enrolment, ...]:
    files = minimal(UDCal_21_xml=body("UDCal_21", *memberships))
    return _parse(tmp_path, files).students["E1"].enrolments


def test_membership_weeks_become_enrolment_dates_bridging_holiday_weeks(tmp_path: Path) -> None:
    weeks = _mask(*range(36, 43), *range(45, 51))

    enrolments = _enrolments(
        tmp_path, f'<ele_gpe ele="E1" gpe="" code_div="6A" semaines="{weeks}"/>'
    )

    assert enrolments == (
        Enrolment(UnitKind.CLASS, "6A", dt.date(2024, 9, 2), dt.date(2024, 12, 16)),
    )


def test_membership_after_new_year_is_dated_in_the_next_calendar_year(tmp_path: Path) -> None:
    weeks = _mask(2, 3, 4, 5)

    enrolments = _enrolments(
        tmp_path, f'<ele_gpe ele="E1" gpe="G1" code_div="6A" semaines="{weeks}"/>'
    )

    span = (dt.date(2025, 1, 6), dt.date(2025, 2, 3))
    assert enrolments == (
        Enrolment(UnitKind.GROUP, "77", *span),
        Enrolment(UnitKind.GROUP, "R6", *span),
    )


def test_membership_is_clamped_to_the_student_year_and_split_on_school_weeks(
    tmp_path: Path,
) -> None:
    weeks = _mask(35, 36, 37, 39, 27)

    enrolments = _enrolments(
        tmp_path, f'<ele_gpe ele="E1" gpe="" code_div="6B" semaines="{weeks}"/>'
    )

    assert enrolments == (
        Enrolment(UnitKind.CLASS, "6B", dt.date(2024, 9, 2), dt.date(2024, 9, 16)),
        Enrolment(UnitKind.CLASS, "6B", dt.date(2024, 9, 23), dt.date(2024, 9, 30)),
        Enrolment(UnitKind.CLASS, "6B", dt.date(2025, 6, 30), dt.date(2025, 7, 5)),
        Enrolment(UnitKind.GROUP, "R6", dt.date(2024, 9, 2), dt.date(2024, 9, 16)),
        Enrolment(UnitKind.GROUP, "R6", dt.date(2024, 9, 23), dt.date(2024, 9, 30)),
        Enrolment(UnitKind.GROUP, "R6", dt.date(2025, 6, 30), dt.date(2025, 7, 5)),
    )


def test_membership_of_an_unknown_student_is_a_warning(tmp_path: Path) -> None:
    files = minimal(
        UDCal_21_xml=body("UDCal_21", '<ele_gpe ele="E9" gpe="" code_div="6A" semaines="1"/>')
    )

    timetable = _parse(tmp_path, files)

    assert [(w.code, w.severity) for w in timetable.warnings] == [
        ("udt_unknown_student", Severity.WARNING)
    ]
    assert timetable.students["E1"].enrolments == ()


# Tolerance


def test_files_in_one_sub_folder_parse_like_files_at_the_root(tmp_path: Path) -> None:
    at_root = _parse(tmp_path, MINIMAL)

    in_folder = parse_undeuxtemps_zip(
        write_zip(tmp_path / "folder.zip", MINIMAL, folder="JDT-Files20240901_INIT"),
        context=ParseContext(),
    )

    assert occurrence_keys(in_folder) == occurrence_keys(at_root)
    assert len(occurrence_keys(at_root)) == 42


def test_lower_case_file_names_are_accepted(tmp_path: Path) -> None:
    at_root = _parse(tmp_path, MINIMAL)

    lower = parse_undeuxtemps_zip(
        write_zip(tmp_path / "lower.zip", MINIMAL, lower=True), context=ParseContext()
    )

    assert occurrence_keys(lower) == occurrence_keys(at_root)
    assert lower.teachers == at_root.teachers


def test_unknown_files_elements_and_attributes_are_ignored(tmp_path: Path) -> None:
    files = minimal(
        UDCal_04_xml=body(
            "UDCal_04",
            '<prof code="T1" nom="Martin" prenom="Claire" date_naissance="02/04/1980" '
            'epj="1001" civilite="2" mail="c.martin@example.org" inconnu="x"><note/></prof>',
            '<prof code="T2" nom="Roux" prenom="Paul" epj="1002"/>',
            "<autre code='Z'/>",
        )
    )
    files["UDCal_25.xml"] = body("UDCal_25", '<type_evt code="1"/>')
    files["UDCal_26_38.xml"] = body("UDCal_26", "<evt/>")
    files["lisezmoi.txt"] = "Publication UnDeuxTEMPS"

    timetable = _parse(tmp_path, files)

    assert occurrence_keys(timetable) == occurrence_keys(_parse(tmp_path, MINIMAL))
    assert timetable.warnings == []


def test_optional_files_may_be_missing(tmp_path: Path) -> None:
    files = minimal(
        UDCal_00_xml=None,
        semaines_xml=None,
        UDCal_10_xml=None,
        UDCal_13_xml=None,
        UDCal_19_xml=None,
        UDCal_21_xml=None,
        UDCal_23_xml=None,
    )

    timetable = _parse(tmp_path, files)

    assert timetable.year.week1_monday == dt.date(2024, 9, 2)
    assert timetable.courses[0].weeks() == ALL_WEEKS
    assert timetable.students == {}


def test_files_two_folders_deep_are_not_looked_for(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "deep.zip", MINIMAL, folder="a/b")

    with pytest.raises(TimetableInvalid) as caught:
        parse_undeuxtemps_zip(path, context=ParseContext())

    assert caught.value.problems[0].code == "udt_missing_calendar"


def test_two_publications_in_one_zip_are_refused(tmp_path: Path) -> None:
    files = {f"a/{name}": content for name, content in MINIMAL.items()}
    files |= {f"b/{name}": content for name, content in MINIMAL.items()}

    refusal = _refusal(tmp_path, files)

    assert refusal.problems[0].code == "udt_ambiguous_folders"


# Problems


def test_dangling_references_are_warnings_and_the_rest_is_imported(tmp_path: Path) -> None:
    files = minimal(
        UDCal_12_xml=_lignes(
            '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T9" salle="R9"/>',
            '<ligfiche code="00202" fic="2" div="6A" mat="MATHS" prof="T9" salle="R9"/>',
            '<ligfiche code="00909" fic="99" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="00303" fic="3" div="6Z" mat="CHIM" prof="T1"/>',
            '<ligfiche code="00304" fic="3" div="6Z" mat="MATHS" prof="T2"/>',
        )
    )

    timetable = _parse(tmp_path, files)

    problems = {(w.code, w.ref) for w in timetable.warnings}
    assert problems == {
        ("udt_unknown_teacher", "UDCal_12.xml ligfiche code=00101"),
        ("udt_unknown_room", "UDCal_12.xml ligfiche code=00101"),
        ("udt_unknown_fiche", "UDCal_12.xml ligfiche code=00909"),
        ("udt_unknown_subject", "UDCal_12.xml ligfiche code=00303"),
        ("udt_unknown_division", "UDCal_12.xml ligfiche code=00304"),
    }
    assert all(w.severity is Severity.WARNING for w in timetable.warnings)
    teacher_warning = next(w for w in timetable.warnings if w.code == "udt_unknown_teacher")
    assert "« T9 »" in teacher_warning.message
    assert "1 autres" in teacher_warning.message
    courses = sorted(
        ((c.start, c.end), [r.ident for r in c.teachers], [r.ident for r in c.classes])
        for c in timetable.courses
    )
    assert courses == [
        ((dt.time(8), dt.time(9)), [], ["6A"]),
        ((dt.time(9), dt.time(9, 30)), ["T2"], []),
    ]


def test_a_zip_without_the_theoretical_lignes_is_refused(tmp_path: Path) -> None:
    refusal = _refusal(tmp_path, minimal(UDCal_12_xml=None))

    assert refusal.problems[0].code == "udt_missing_lignes"
    assert refusal.problems[0].ref == "UDCal_12.xml"


def test_bad_calendar_dates_are_errors_naming_the_field(tmp_path: Path) -> None:
    calendar = body(
        "UDCal_24",
        "<calendrier><debut_eleve>2024-09-02</debut_eleve><fin_eleve>04/07/2025</fin_eleve>"
        '<fermeture debut="19/10/2024" fin="31/02/2024"/></calendrier>',
    )

    refusal = _refusal(tmp_path, minimal(UDCal_24_xml=calendar))

    assert [(p.code, p.ref) for p in refusal.problems] == [
        ("udt_bad_date", "UDCal_24.xml debut_eleve"),
        ("udt_bad_date", "UDCal_24.xml fermeture ligne 3"),
    ]
    assert "jj/mm/aaaa" in refusal.problems[0].message


def test_a_year_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    calendar = body(
        "UDCal_24",
        "<calendrier><debut_eleve>02/09/2024</debut_eleve><fin_eleve>04/07/2024</fin_eleve>"
        "</calendrier>",
    )

    refusal = _refusal(tmp_path, minimal(UDCal_24_xml=calendar))

    assert refusal.problems[0].code == "udt_bad_calendar"


def test_a_half_sequence_with_a_bad_time_is_refused(tmp_path: Path) -> None:
    slots = body(
        "UDCal_07",
        '<demi_seq code_jour="1" code="01" code_site="1" hre_deb="8 heures" hre_fin="08:30"/>',
    )

    refusal = _refusal(tmp_path, minimal(UDCal_07_xml=slots))

    assert refusal.problems[0].code == "udt_bad_time"
    assert refusal.problems[0].ref == "UDCal_07.xml demi_seq ligne 3"


def test_a_missing_end_time_falls_back_to_half_a_sequence_in_minutes(tmp_path: Path) -> None:
    slots = body(
        "UDCal_07",
        '<demi_seq code_jour="1" code="01" code_site="1" hre_deb="08:00"/>',
        '<demi_seq code_jour="1" code="02" code_site="1" hre_deb="08:30"/>',
        '<demi_seq code_jour="1" code="03" code_site="1" hre_deb="09:00"/>',
    )

    timetable = _parse(tmp_path, minimal(UDCal_07_xml=slots))

    assert [(c.start, c.end) for c in timetable.courses] == [(dt.time(8), dt.time(9))]


# Deposit name


def test_uai_and_export_time_come_from_the_deposit_name(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "upload.tmp", MINIMAL)

    timetable = parse_undeuxtemps_zip(
        path, context=ParseContext(), filename="0750001a_20250303142259_UDT.zip"
    )

    assert timetable.uai == "0750001A"
    assert timetable.exported_at is not None
    assert timetable.exported_at.replace(tzinfo=None) == dt.datetime(2025, 3, 3, 14, 22, 59)  # noqa: DTZ001
    assert timetable.exported_at.utcoffset() == dt.timedelta(hours=1)


def test_a_deposit_with_another_name_has_no_uai(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "JDT-Files20180307142259_INIT.zip", MINIMAL)

    timetable = parse_undeuxtemps_zip(path, context=ParseContext())

    assert (timetable.uai, timetable.exported_at) == ("", None)


def test_parse_deposit_sends_a_zip_to_the_undeuxtemps_parser(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "0750001A_20250303142259_UDT.zip", MINIMAL)

    timetable = parse_deposit(path, filename=path.name, context=ParseContext())

    assert timetable.source_format == SourceFormat.UNDEUXTEMPS
    assert timetable.uai == "0750001A"


def test_values_given_as_child_elements_and_namespaced_roots_are_read(tmp_path: Path) -> None:
    files = minimal(
        UDCal_03_xml=(
            '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
            '<export xmlns="urn:udt"><salles><salle><code>R1</code><nom>Salle 101</nom>'
            "</salle></salles></export>"
        ),
    )

    timetable = _parse(tmp_path, files)

    assert timetable.rooms["R1"].name == "Salle 101"
    assert [r.ident for r in timetable.courses[0].rooms] == ["R1"]


def test_a_fiche_on_an_unknown_half_sequence_is_a_warning_and_its_lignes_are_dropped(
    tmp_path: Path,
) -> None:
    files = minimal(
        UDCal_11_xml=body(
            "UDCal_11",
            '<fiche code="1" jour="1" demi_seq="01" site="1"/>',
            '<fiche code="2" jour="1" demi_seq="02" site="1"/>',
            '<fiche code="3" jour="2" demi_seq="09" site="1"/>',
        ),
        UDCal_12_xml=_lignes(
            '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="00202" fic="2" div="6A" mat="MATHS" prof="T1"/>',
            '<ligfiche code="00503" fic="3" div="6B" mat="MATHS" prof="T2"/>',
        ),
    )

    timetable = _parse(tmp_path, files)

    assert [(w.code, w.ref, w.severity) for w in timetable.warnings] == [
        ("udt_unknown_slot", "UDCal_11.xml fiche code=3", Severity.WARNING)
    ]
    assert [(c.day, c.start, c.end) for c in timetable.courses] == [(1, dt.time(8), dt.time(9))]


def test_a_weekly_file_without_its_own_co_teaching_uses_the_theoretical_one(
    tmp_path: Path,
) -> None:
    files = minimal(
        semaines_xml=body("semaines", '<semaine num="36"/>', '<semaine num="38"/>'),
        UDCal_23_xml=body("UDCal_23", '<coens lignefic="00101" prof="T2"/>'),
    )
    files["UDCal_12_38.xml"] = _lignes(
        '<ligfiche code="00101" fic="1" div="6A" mat="MATHS" prof="T1" salle="R1"/>',
    )

    timetable = _parse(tmp_path, files)

    weekly = [c for c in timetable.courses if (c.start, c.end) == (dt.time(8), dt.time(8, 30))]
    assert [{r.ident: r.weeks for r in c.teachers} for c in weekly] == [
        {"T1": frozenset({3}), "T2": frozenset({3})}
    ]


def test_windows_text_without_an_encoding_declaration_is_read_as_windows_1252(
    tmp_path: Path,
) -> None:
    files: dict[str, str | bytes] = dict(MINIMAL)
    files["UDCal_04.xml"] = (
        '<UDCal_04><prof code="T1" nom="Lefèvre" prenom="Zoë" epj="1001"/></UDCal_04>'
    ).encode("cp1252")

    path = write_zip(tmp_path / "udt.zip", files)
    timetable = parse_undeuxtemps_zip(path, context=ParseContext())

    teacher = timetable.teachers["T1"]
    assert (teacher.last_name, teacher.first_name) == ("Lefèvre", "Zoë")


def test_a_declared_encoding_is_trusted(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = dict(MINIMAL)
    files["UDCal_04.xml"] = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<UDCal_04><prof code="T1" nom="Lefèvre" prenom="Zoë" epj="1001"/></UDCal_04>'
    ).encode("latin-1")

    path = write_zip(tmp_path / "udt.zip", files)
    timetable = parse_undeuxtemps_zip(path, context=ParseContext())

    assert timetable.teachers["T1"].last_name == "Lefèvre"
