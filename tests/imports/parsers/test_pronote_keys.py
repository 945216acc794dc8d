from __future__ import annotations

import datetime as dt
import io
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from devtools.container_encrypt import container_encrypt
from imports.parsers import parse_deposit
from imports.parsers.context import parse_context_from_settings
from imports.parsers.registry import SourceFormat
from imports.pronote_keys import PronoteKeyExists, pronote_keys_create
from tests.imports.parsers.edt_fixtures import UAI, edt_bytes

PARTNER = "ENT-ACADEMIE-TEST"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("pronote_keys", *args, stdout=out)
    return out.getvalue()


def _public_pem(output: str) -> bytes:
    start = output.index("-----BEGIN PUBLIC KEY-----")
    end = output.index("-----END PUBLIC KEY-----") + len("-----END PUBLIC KEY-----")
    return output[start:end].encode("ascii") + b"\n"


def test_the_command_creates_a_pair_whose_public_key_decrypts_through_parse_deposit(
    tmp_path: Path,
) -> None:
    key_path = tmp_path / "keys" / "pronote.pem"
    with override_settings(PRONOTE_PRIVATE_KEY_PATH=str(key_path), PRONOTE_PARTNER_NAME=PARTNER):
        output = _run()
        deposit = tmp_path / "export.xml"
        deposit.write_bytes(
            container_encrypt(
                edt_bytes(),
                recipients={PARTNER: _public_pem(output)},
                uai=UAI,
                software="PRONOTE 2025",
                exported_at=dt.datetime(2025, 9, 5, 12, tzinfo=ZoneInfo("Europe/Paris")),
            )
        )

        timetable = parse_deposit(
            deposit, filename="export.xml", context=parse_context_from_settings()
        )

    assert timetable.source_format == SourceFormat.INDEX_EDUCATION_ENCRYPTED
    assert len(timetable.courses) == 2
    assert f"Nom du partenaire : {PARTNER}" in output
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_running_the_command_again_keeps_the_key_and_prints_the_same_public_key(
    tmp_path: Path,
) -> None:
    key_path = tmp_path / "pronote.pem"
    with override_settings(PRONOTE_PRIVATE_KEY_PATH=str(key_path)):
        first = _run()
        private_before = key_path.read_bytes()

        second = _run()

    assert "conservée" in second
    assert _public_pem(second) == _public_pem(first)
    assert key_path.read_bytes() == private_before


def test_force_replaces_the_key(tmp_path: Path) -> None:
    key_path = tmp_path / "pronote.pem"
    with override_settings(PRONOTE_PRIVATE_KEY_PATH=str(key_path)):
        first = _run()

        forced = _run("--force")

    assert _public_pem(forced) != _public_pem(first)


def test_an_unreadable_existing_key_is_reported_in_french(tmp_path: Path) -> None:
    key_path = tmp_path / "pronote.pem"
    key_path.write_bytes(b"abime")

    with (
        override_settings(PRONOTE_PRIVATE_KEY_PATH=str(key_path)),
        pytest.raises(CommandError, match="illisible"),
    ):
        _run()


def test_creating_keys_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    key_path = tmp_path / "pronote.pem"
    first = pronote_keys_create(private_key_path=key_path)

    with pytest.raises(PronoteKeyExists):
        pronote_keys_create(private_key_path=key_path)
    second = pronote_keys_create(private_key_path=key_path, overwrite=True)

    assert first.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert second != first


def test_without_a_key_file_the_context_has_no_private_key(tmp_path: Path) -> None:
    with override_settings(
        PRONOTE_PRIVATE_KEY_PATH=str(tmp_path / "absent.pem"),
        PRONOTE_PARTNER_NAME=PARTNER,
        ENT_MAX_DEPOSIT_BYTES=1234,
    ):
        context = parse_context_from_settings()

    assert context.private_key_pem is None
    assert context.partner_name == PARTNER
    assert context.limits.max_bytes == 1234
