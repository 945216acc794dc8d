"""The parser registry: formats, suffixes and names derive from one list of parsers.

A toy format, registered only here, shows what adding a format takes: one parser object
(this module stands for the new parser module) and one line in ``PARSERS``. It goes through
the real deposit check, format detection, pipeline and bilan.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from imports.models import ImportRun
from imports.parsers import registry
from imports.parsers.base import FormatSpec, ParseContext, TimetableParser
from imports.parsers.index_education import parse_payload
from imports.parsers.registry import SourceFormat, accepted_suffixes, parse_deposit
from imports.services.deposits import DepositRefused, deposit_check_name
from imports.timetable import Timetable, TimetableInvalid
from tests.imports.pipeline_support import School, edt_file, run_import, school

__all__ = ["school"]

TOY_MAGIC = b"TOY-TIMETABLE 1\n"


def toy_file(edt: bytes) -> bytes:
    return TOY_MAGIC + base64.b64encode(edt)


class ToyParser:
    """A toy format: a magic line, then an EDT payload in base64 (matching the directory)."""

    label = "Format jouet"
    description = "un export au format jouet (TOY-TIMETABLE)"
    suffixes = (".toy",)
    formats = (FormatSpec("TOY", "Format jouet"),)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(TOY_MAGIC)

    def parse(self, path: Path, *, filename: str, context: ParseContext) -> Timetable:
        content = base64.b64decode(path.read_bytes()[len(TOY_MAGIC) :])
        timetable = parse_payload(io.BytesIO(content), source_format="TOY")
        timetable.software = "Logiciel jouet"
        return timetable


@pytest.fixture
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> TimetableParser:
    toy = ToyParser()
    monkeypatch.setattr(registry, "PARSERS", [*registry.PARSERS, toy])  # the one line
    return toy


def test_the_source_formats_suffixes_and_names_come_from_the_registered_parsers() -> None:
    assert SourceFormat.choices == [
        ("", "Inconnu"),
        ("INDEX_EDUCATION", "EDT / PRONOTE"),
        ("INDEX_EDUCATION_ENCRYPTED", "EDT / PRONOTE (chiffré)"),
        ("UNDEUXTEMPS", "UnDeuxTEMPS"),
    ]
    assert ImportRun.SourceFormat is SourceFormat
    assert accepted_suffixes() == (".xml", ".zip")
    assert registry.accepted_files_text() == ".xml (EDT / PRONOTE) et .zip (UnDeuxTEMPS)"


def test_a_toy_format_is_refused_until_its_parser_is_registered(tmp_path: Path) -> None:
    with pytest.raises(DepositRefused) as refused:
        deposit_check_name("emploi.toy")
    assert "seuls les fichiers .xml (EDT / PRONOTE) et .zip (UnDeuxTEMPS)" in str(refused.value)
    path = tmp_path / "emploi.toy"
    path.write_bytes(toy_file(edt_file()))
    with pytest.raises(TimetableInvalid) as invalid:
        parse_deposit(path, filename="emploi.toy", context=ParseContext())
    assert invalid.value.problems[0].code == "unknown_format"


def test_a_registered_toy_format_is_accepted_named_and_detected(
    toy_registered: TimetableParser, tmp_path: Path
) -> None:
    deposit_check_name("emploi.TOY")
    assert accepted_suffixes() == (".xml", ".zip", ".toy")
    assert registry.accepted_files_text().endswith("et .toy (Format jouet)")
    path = tmp_path / "sans-extension"
    path.write_bytes(toy_file(edt_file()))

    timetable = parse_deposit(path, filename="sans-extension", context=ParseContext())

    assert timetable.source_format == "TOY"
    assert len(timetable.courses) == 82
    garbage = tmp_path / "autre.toy"
    garbage.write_bytes(b"ni jouet ni EDT")
    with pytest.raises(TimetableInvalid) as invalid:
        parse_deposit(garbage, filename="autre.toy", context=ParseContext())
    assert "ni un export au format jouet (TOY-TIMETABLE)." in invalid.value.problems[0].message


def test_a_toy_format_deposit_goes_through_the_whole_pipeline(
    toy_registered: TimetableParser, school: School
) -> None:
    run = run_import(
        school,
        toy_file(edt_file()),
        filename="emploi.toy",
        mode=ImportRun.Mode.MANUAL,
        apply_anyway=True,
    )

    assert run.status == ImportRun.Status.INTEGRATED, [s.message for s in run.steps.all()]
    assert run.source_format == "TOY"
    validation = run.steps.get(name="validation")
    assert validation.message.startswith("Fichier Logiciel jouet valide : 82 cours")
    assert run.counters["sessions_created"] > 2000
    assert "Statut : Intégré" in run.bilan["text"]
