"""Writing a sample to disk, the UnDeuxTEMPS round trip and ``make_sample_timetable``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.samples import ExpectedSession, Sample, SampleFiles, generate_sample, write_sample
from imports.parsers import ParseContext, parse_deposit
from imports.parsers.registry import SourceFormat
from imports.sessions import timetable_occurrences
from tests.devtools.samples.conftest import KeyPair
from tests.imports.parsers.comparison import entity_names, occurrence_keys


def test_write_sample_writes_every_file_and_a_readme_with_counts(
    small: Sample, small_files: SampleFiles
) -> None:
    uai = small.uai
    names = {p.name for p in small_files.paths()}

    assert {f"edt_{uai}.xml", f"edt_{uai}_chiffre.xml", "README.txt"} <= names
    assert small_files.udt_zip.name == f"{uai}_20260828174205_UDT.zip"
    assert {p.name.split("_")[3] for p in small_files.aaf_files} == {
        "EtabEducNat",
        "MatiereEducNat",
        "Eleve",
        "PersEducNat",
    }
    readme = small_files.readme.read_text(encoding="utf-8")
    assert f"UAI {uai}" in readme
    assert f"Élèves : {len(small.timetable.students)}" in readme
    assert f"Cours hebdomadaires : {len(small.timetable.courses)}" in readme
    assert f"séances attendues : {len(small.expected_sessions())}" in readme


def test_same_seed_writes_the_same_bytes(
    small: Sample, small_files: SampleFiles, tmp_path: Path
) -> None:
    again = write_sample(generate_sample("small", seed=small.seed, start_year=2026), tmp_path)

    def contents(files: SampleFiles) -> dict[str, bytes]:
        # The README and the encrypted export depend on the encryption asked for.
        skipped = (files.readme, files.edt_encrypted)
        return {p.name: p.read_bytes() for p in files.paths() if p not in skipped}

    assert again.edt_encrypted is None
    assert contents(again) == contents(small_files)
    assert len(contents(again)) == 6


def test_undeuxtemps_zip_parses_back_to_the_same_timetable(
    small: Sample, small_files: SampleFiles, context: ParseContext
) -> None:
    path = small_files.udt_zip

    parsed = parse_deposit(path, filename=path.name, context=context)

    assert parsed.source_format == SourceFormat.UNDEUXTEMPS
    assert occurrence_keys(parsed) == occurrence_keys(small.timetable)
    truth, names = entity_names(small.timetable), entity_names(parsed)
    for kind in ("subjects", "classes", "groups", "rooms", "students"):
        assert names[kind] == truth[kind], kind
    assert {n for n, _b in names["teachers"]} == {n for n, _b in truth["teachers"]}


def test_parsed_export_yields_the_expected_sessions(
    small: Sample, small_files: SampleFiles, context: ParseContext
) -> None:
    parsed = parse_deposit(small_files.edt_xml, filename="edt.xml", context=context)
    by_name = {
        f"{t.last_name}|{t.first_name}|{t.birth_date}": i
        for i, t in small.timetable.teachers.items()
    }

    found = Counter(
        (
            o.date,
            o.start,
            o.end,
            parsed.subjects[o.course.subject_ident].code,
            tuple(
                sorted(
                    by_name[
                        f"{parsed.teachers[i].last_name}|{parsed.teachers[i].first_name}|{parsed.teachers[i].birth_date}"
                    ]
                    for i in o.teachers
                )
            ),
            tuple(sorted(parsed.classes[i].name for i in o.classes)),
            tuple(sorted(parsed.groups[i].name for i in o.groups)),
            tuple(sorted(parsed.rooms[i].name for i in o.rooms)),
        )
        for o in timetable_occurrences(parsed)
    )
    expected = Counter(
        (s.date, s.start, s.end, s.subject_code, s.teachers, s.classes, s.groups, s.rooms)
        for s in small.expected_sessions()
    )

    assert found == expected


def test_make_sample_timetable_command_writes_the_files(
    tmp_path: Path, keys: KeyPair, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "cle_publique.pem"
    key_file.write_bytes(keys.public_pem)
    out = tmp_path / "echantillon"

    call_command(
        "make_sample_timetable",
        "--preset=small",
        "--seed=5",
        "--start-year=2026",
        f"--out={out}",
        f"--encrypt-for={key_file}",
        "--partner-name=ENT-DEMO",
    )

    printed = capsys.readouterr().out
    sample = generate_sample("small", seed=5, start_year=2026)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert f"edt_{sample.uai}.xml" in written
    assert f"edt_{sample.uai}_chiffre.xml" in written
    assert sum(1 for p in written if p.startswith("aaf/")) == 4
    assert "Échantillon prêt." in printed
    assert f"Cours hebdomadaires : {len(sample.timetable.courses)}" in printed
    assert (out / f"edt_{sample.uai}.xml").read_bytes() == (
        write_sample(sample, tmp_path / "again").edt_xml.read_bytes()
    )
    assert isinstance(sample.expected_sessions()[0], ExpectedSession)
    assert sample.expected_sessions()[0].date == dt.date(2026, 9, 1)


def test_make_sample_timetable_command_refuses_an_unreadable_key(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Clé publique illisible"):
        call_command(
            "make_sample_timetable",
            f"--out={tmp_path / 'echantillon'}",
            f"--encrypt-for={tmp_path / 'absente.pem'}",
        )

    assert not (tmp_path / "echantillon").exists()
