"""Weekly UDT lignes files read as the lines they change give the same timetable.

The parser reads a weekly ``UDCal_12_NN.xml`` as the theoretical ``UDCal_12.xml`` with other
ligfiche lines when both are laid out one element per line (as UnDeuxTEMPS writes them); these
tests compare that shortcut with parsing every file whole, on the generated sample and on
files edited by hand.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from devtools.samples import SampleFiles
from imports.parsers import ParseContext, parse_deposit
from imports.parsers import undeuxtemps as udt
from imports.timetable import Timetable, TimetableInvalid


def _parse(path: Path, context: ParseContext, *, by_lines: bool = True) -> Timetable:
    if by_lines:
        return parse_deposit(path, filename=path.name, context=context)
    saved = udt._Parser._lignes_by_lines
    udt._Parser._lignes_by_lines = lambda *_args: None  # type: ignore[method-assign]
    try:
        return parse_deposit(path, filename=path.name, context=context)
    finally:
        udt._Parser._lignes_by_lines = saved  # type: ignore[method-assign]


def _same(left: Timetable, right: Timetable) -> None:
    assert left.courses == right.courses
    assert left.students == right.students
    assert [(p.code, p.ref, p.message) for p in left.warnings] == [
        (p.code, p.ref, p.message) for p in right.warnings
    ]


def _rewrite(source: Path, target: Path, change: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            name = info.filename.rsplit("/", 1)[-1]
            copy.writestr(info, change.get(name, data))
    return target


def _weekly_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(
            n.rsplit("/", 1)[-1]
            for n in archive.namelist()
            if n.rsplit("/", 1)[-1].startswith("UDCal_12_")
        )


def _member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith(name)]
        return archive.read(member)


def test_the_sample_parses_the_same_by_lines_and_whole(
    small_files: SampleFiles, context: ParseContext
) -> None:
    taken = []
    saved = udt._Parser._lignes_by_lines

    def spy(self, name, data, co_teachers):  # type: ignore[no-untyped-def]
        result = saved(self, name, data, co_teachers)
        taken.append(result is not None)
        return result

    udt._Parser._lignes_by_lines = spy  # type: ignore[method-assign]
    try:
        by_lines = _parse(small_files.udt_zip, context)
    finally:
        udt._Parser._lignes_by_lines = saved  # type: ignore[method-assign]

    _same(by_lines, _parse(small_files.udt_zip, context, by_lines=False))
    assert taken and all(taken)  # the shortcut was used for every distinct weekly file


def test_a_weekly_file_with_changed_and_unknown_lines_parses_as_whole(
    small_files: SampleFiles, context: ParseContext, tmp_path: Path
) -> None:
    weekly = _weekly_names(small_files.udt_zip)[0]
    lines = _member(small_files.udt_zip, weekly).split(b"\n")
    ligfiche = [n for n, line in enumerate(lines) if b"<ligfiche" in line]
    # One ligne dropped, one moved to another fiche, one pointing at an unknown subject.
    del lines[ligfiche[0]]
    lines[ligfiche[1] - 1] = lines[ligfiche[1] - 1].replace(b'fic="', b'fic="9', 1)
    lines.insert(ligfiche[2], b'  <ligfiche code="99900001" fic="1" div="1" mat="INCONNUE"/>')
    edited = _rewrite(small_files.udt_zip, tmp_path / "edited.zip", {weekly: b"\n".join(lines)})

    _same(_parse(edited, context), _parse(edited, context, by_lines=False))


def test_a_weekly_file_laid_out_otherwise_is_parsed_whole(
    small_files: SampleFiles, context: ParseContext, tmp_path: Path
) -> None:
    weekly = _weekly_names(small_files.udt_zip)[0]
    data = _member(small_files.udt_zip, weekly)
    one_line = b"".join(data.split(b"\n"))  # every element on one line
    edited = _rewrite(small_files.udt_zip, tmp_path / "oneline.zip", {weekly: one_line})

    _same(_parse(edited, context), _parse(edited, context, by_lines=False))


def test_a_broken_line_in_a_weekly_file_is_still_reported_as_invalid_xml(
    small_files: SampleFiles, context: ParseContext, tmp_path: Path
) -> None:
    weekly = _weekly_names(small_files.udt_zip)[0]
    lines = _member(small_files.udt_zip, weekly).split(b"\n")
    at = next(n for n, line in enumerate(lines) if b"<ligfiche" in line)
    lines.insert(at, b'  <ligfiche code="1" fic="&inconnue;"/>')
    edited = _rewrite(small_files.udt_zip, tmp_path / "broken.zip", {weekly: b"\n".join(lines)})

    with pytest.raises(TimetableInvalid) as raised:
        _parse(edited, context)

    assert [p.code for p in raised.value.problems] == ["udt_invalid_xml"]
    assert raised.value.problems[0].ref == weekly
