"""The EDT / PRONOTE writer: schema-valid payloads and containers, and their round trips."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from devtools.samples import Sample, SampleFiles, generate_sample, write_index_education_xml
from imports.parsers import ParseContext, parse_deposit
from imports.parsers.registry import SourceFormat
from imports.timetable import Timetable, UnitKind
from tests.devtools.samples.conftest import PARTNER
from tests.imports.parsers.comparison import entity_names, occurrence_keys

# The shared specification folder sits beside the project root (``../shared``).
XSD_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "spec" / "xsd"


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / name)))


def _assert_valid(schema: etree.XMLSchema, data: bytes) -> None:
    document = etree.fromstring(data)
    assert schema.validate(document), schema.error_log.last_error


@pytest.mark.parametrize("preset", ["small", "medium"])
def test_generated_payload_validates_against_the_export_schema(preset: str) -> None:
    sample = generate_sample(preset, seed=11, start_year=2026)

    payload = write_index_education_xml(sample.timetable, uai=sample.uai)

    _assert_valid(_schema("ExportEmploiDuTemps.xsd"), payload)
    root = etree.fromstring(payload)
    assert root.get("Version") == "1.1"
    assert root.get("UAI") == sample.uai
    assert root.nsmap[None] == "http://www.index-education.com/exportemploidutemps"


def test_encrypted_container_validates_against_the_container_schema(
    small_files: SampleFiles,
) -> None:
    assert small_files.edt_encrypted is not None

    data = small_files.edt_encrypted.read_bytes()

    _assert_valid(_schema("ConteneurExportChiffre.xsd"), data)
    root = etree.fromstring(data)
    ns = {"c": "http://www.index-education.com/conteneurexportchiffre"}
    assert root.findtext("c:UAI", namespaces=ns) == small_files.edt_xml.stem.split("_")[1]
    assert [p.get("NOM") for p in root.iterfind("c:CLES/c:PARTENAIRE", ns)] == [PARTNER]


def _assert_same_timetable(parsed: Timetable, truth: Timetable) -> None:
    assert entity_names(parsed) == entity_names(truth)
    assert occurrence_keys(parsed) == occurrence_keys(truth)
    assert parsed.year == truth.year
    assert parsed.warnings == []


def test_clear_export_parses_back_to_the_same_timetable(
    small: Sample, small_files: SampleFiles, context: ParseContext
) -> None:
    path = small_files.edt_xml

    parsed = parse_deposit(path, filename=path.name, context=context)

    assert parsed.source_format == SourceFormat.INDEX_EDUCATION
    assert parsed.uai == small.uai
    _assert_same_timetable(parsed, small.timetable)
    # The parser adds the groups made of a student's class or part; EDT lists only those two.
    students = {
        s.ine: tuple(e for e in s.enrolments if e.kind is not UnitKind.GROUP)
        for s in parsed.students.values()
    }
    assert students == {s.ine: s.enrolments for s in small.timetable.students.values()}


def test_encrypted_export_decrypts_and_parses_back_to_the_same_timetable(
    small: Sample, small_files: SampleFiles, context: ParseContext
) -> None:
    assert small_files.edt_encrypted is not None
    path = small_files.edt_encrypted

    parsed = parse_deposit(path, filename=path.name, context=context)

    assert parsed.source_format == SourceFormat.INDEX_EDUCATION_ENCRYPTED
    assert parsed.software == small.timetable.software
    _assert_same_timetable(parsed, small.timetable)


def test_cancellations_written_as_attribute_give_the_same_sessions(
    small: Sample, tmp_path: Path, context: ParseContext
) -> None:
    payload = write_index_education_xml(
        small.timetable, uai=small.uai, cancellations_as_attribute=True
    )
    path = tmp_path / "annulations.xml"
    path.write_bytes(payload)

    parsed = parse_deposit(path, filename=path.name, context=context)

    assert b"SemainesAnnulation=" in payload
    assert not _schema("ExportEmploiDuTemps.xsd").validate(etree.fromstring(payload))
    assert occurrence_keys(parsed) == occurrence_keys(small.timetable)
    cancelled = Counter(bool(c.cancelled_weeks) for c in parsed.courses)
    assert cancelled[True] == sum(1 for c in small.timetable.courses if c.cancelled_weeks)


def test_writer_refuses_a_course_off_the_time_grid(small: Sample) -> None:
    course = dataclasses.replace(small.timetable.courses[0], start=dt.time(8, 10))
    timetable = dataclasses.replace(small.timetable, courses=[course])

    with pytest.raises(ValueError, match="does not fit the time grid"):
        write_index_education_xml(timetable, uai=small.uai)


def test_writer_refuses_a_student_without_the_birth_date_the_schema_requires(
    small: Sample,
) -> None:
    ident, student = next(iter(small.timetable.students.items()))
    students = {ident: dataclasses.replace(student, birth_date=None)}
    timetable = dataclasses.replace(small.timetable, students=students)

    with pytest.raises(ValueError, match=f"Student {ident} needs a birth date"):
        write_index_education_xml(timetable, uai=small.uai)
