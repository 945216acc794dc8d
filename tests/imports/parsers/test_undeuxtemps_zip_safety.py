"""Hostile zips are refused with a stable code and a French message, never a crash."""

from __future__ import annotations

import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from imports.parsers import Limits, ParseContext
from imports.parsers.safezip import SafeZip
from imports.parsers.undeuxtemps import parse_undeuxtemps_zip
from imports.timetable import Severity, TimetableInvalid
from tests.imports.parsers.udt_fixtures import MINIMAL, minimal, write_zip


def _refusal(path: Path, limits: Limits | None = None) -> TimetableInvalid:
    with pytest.raises(TimetableInvalid) as caught:
        parse_undeuxtemps_zip(path, context=ParseContext(limits=limits or Limits()))
    problem = caught.value.problems[0]
    assert problem.severity is Severity.ERROR
    assert problem.message and problem.action
    return caught.value


def _code(path: Path, limits: Limits | None = None) -> str:
    return _refusal(path, limits).problems[0].code


def _with_member(path: Path, info: zipfile.ZipInfo | str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in MINIMAL.items():
            archive.writestr(name, content)
        archive.writestr(info, data)
    return path


def test_a_member_that_inflates_more_than_the_ratio_allows_is_a_zip_bomb(tmp_path: Path) -> None:
    path = _with_member(tmp_path / "bomb.zip", "UDCal_01.xml", b"\0" * (8 * 1024 * 1024))

    refusal = _refusal(path)

    assert refusal.problems[0].code == "zip_bomb"
    assert "bombe zip" in refusal.problems[0].message
    assert refusal.problems[0].ref == "UDCal_01.xml"


def test_a_zip_that_inflates_beyond_the_byte_limit_is_refused(tmp_path: Path) -> None:
    path = _with_member(tmp_path / "big.zip", "UDCal_01.xml", bytes(range(256)) * 64)

    assert _code(path, Limits(max_uncompressed_bytes=10_000)) == "zip_too_large"


def test_a_zip_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "many.zip", {f"extra_{n}.txt": "x" for n in range(30)} | MINIMAL)

    refusal = _refusal(path, Limits(max_zip_members=20))

    assert refusal.problems[0].code == "zip_too_many_members"
    assert "45 fichiers" in refusal.problems[0].message


@pytest.mark.parametrize(
    "name",
    ["../x.xml", "UDT/../../x.xml", "/etc/UDCal_12.xml", "C:/UDCal_12.xml", "..\\x.xml"],
)
def test_a_member_with_an_escaping_path_is_refused(tmp_path: Path, name: str) -> None:
    path = _with_member(tmp_path / "slip.zip", name, b"<x/>")

    refusal = _refusal(path)

    assert refusal.problems[0].code == "zip_unsafe_path"
    assert refusal.problems[0].ref == name


def test_a_symbolic_link_member_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("UDCal_01.xml")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16

    path = _with_member(tmp_path / "link.zip", info, b"/etc/passwd")

    assert _code(path) == "zip_symlink"


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = _with_member(tmp_path / "encrypted.zip", "UDCal_01.xml", b"secret")
    _patch_headers(path, "UDCal_01.xml", local=6, central=8, value=0x1)

    assert _code(path) == "zip_encrypted"


def _patch_headers(path: Path, member: str, *, local: int, central: int, value: int) -> None:
    """Overwrite a 4-byte field of both headers of ``member`` (at the given offsets), or OR
    a 2-byte flag field when ``value`` fits in the low bits (offsets 6 and 8)."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    for signature, name_at, field_at in ((b"PK\x03\x04", 26, local), (b"PK\x01\x02", 28, central)):
        start = data.find(signature)
        while start != -1:
            length = struct.unpack_from("<H", data, start + name_at)[0]
            offset = 30 if signature == b"PK\x03\x04" else 46
            if data[start + offset : start + offset + length] == encoded:
                if field_at in (6, 8):
                    flags = struct.unpack_from("<H", data, start + field_at)[0]
                    struct.pack_into("<H", data, start + field_at, flags | value)
                else:
                    struct.pack_into("<I", data, start + field_at, value)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def _patch_declared_size(path: Path, member: str, size: int) -> None:
    """Make both headers of ``member`` lie about its uncompressed size."""
    _patch_headers(path, member, local=22, central=24, value=size)


def test_a_member_larger_than_its_header_says_is_refused_without_reading_it_all(
    tmp_path: Path,
) -> None:
    content = b"<ligfiche/>" * 200_000
    path = _with_member(tmp_path / "liar.zip", "UDCal_99.xml", content)
    _patch_declared_size(path, "UDCal_99.xml", 100)

    with SafeZip(path, Limits()) as archive, pytest.raises(TimetableInvalid) as caught:
        archive.read("UDCal_99.xml")

    assert caught.value.problems[0].code == "zip_member_corrupt"
    assert caught.value.problems[0].ref == "UDCal_99.xml"


def test_a_member_smaller_than_its_header_says_is_refused(tmp_path: Path) -> None:
    path = _with_member(tmp_path / "liar.zip", "UDCal_99.xml", b"<UDCal_99/>")
    _patch_declared_size(path, "UDCal_99.xml", 5000)

    with SafeZip(path, Limits()) as archive, pytest.raises(TimetableInvalid) as caught:
        archive.read("UDCal_99.xml")

    assert caught.value.problems[0].code == "zip_size_mismatch"


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "full.zip", MINIMAL)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    refusal = _refusal(truncated)

    assert refusal.problems[0].code == "zip_corrupt"
    assert "tronquée" in refusal.problems[0].message


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "udt.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)

    assert _code(path) == "zip_corrupt"


def test_a_zip_without_the_calendar_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "udt.zip", minimal(UDCal_24_xml=None))

    refusal = _refusal(path)

    assert refusal.problems[0].code == "udt_missing_calendar"
    assert "UDCal_24.xml" in refusal.problems[0].message


def test_a_zip_with_the_same_member_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _with_member(path, "UDCal_12.xml", b"<UDCal_12/>")

    assert _code(path) == "zip_duplicate_member"


def test_an_xml_member_declaring_entities_is_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<UDCal_05><mat code='&b;'/></UDCal_05>"
    )
    path = write_zip(tmp_path / "udt.zip", minimal(UDCal_05_xml=laughs))

    assert _code(path) == "unsafe_xml"


def test_entities_declared_after_a_long_comment_are_refused_in_a_member(tmp_path: Path) -> None:
    padding = "<!--" + "x" * 70_000 + "-->"
    hidden = (
        f'<?xml version="1.0"?>{padding}<!DOCTYPE r [<!ENTITY a "aaaa">]>'
        "<UDCal_05><mat code='&a;'/></UDCal_05>"
    )
    path = write_zip(tmp_path / "udt.zip", minimal(UDCal_05_xml=hidden))

    assert _code(path) == "unsafe_xml"


def test_an_unreadable_xml_member_is_refused_with_its_name(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "udt.zip", minimal(UDCal_04_xml="<UDCal_04><prof code='T1'"))

    refusal = _refusal(path)

    assert refusal.problems[0].code == "udt_invalid_xml"
    assert refusal.problems[0].ref == "UDCal_04.xml"


def test_members_are_read_into_memory_and_nothing_is_extracted(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "udt.zip", MINIMAL, folder="JDT-Files20240901")
    before = sorted(tmp_path.rglob("*"))

    with SafeZip(path, Limits()) as archive:
        data = archive.read("JDT-Files20240901/UDCal_05.xml")

    assert b'code="MATHS"' in data
    assert sorted(tmp_path.rglob("*")) == before
