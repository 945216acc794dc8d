from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import tracemalloc
import zlib
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from devtools.container_encrypt import container_encrypt
from imports.parsers.container import (
    NAMESPACE,
    container_decrypt,
    inflate_bounded,
)
from imports.timetable import TimetableInvalid
from tests.imports.parsers.conftest import PARTNER, KeyPair
from tests.imports.parsers.edt_fixtures import UAI, edt_bytes, xsd

EXPORTED_AT = dt.datetime(2025, 9, 15, 17, 42, 5, tzinfo=ZoneInfo("Europe/Paris"))
LIMIT = 10 * 1024 * 1024


def _encrypt(payload: bytes, recipients: dict[str, bytes], **kwargs: object) -> bytes:
    return container_encrypt(
        payload,
        recipients=recipients,
        uai=UAI,
        software="PRONOTE 2025 - 1.0.3",
        establishment_name="Collège Jean Moulin",
        postal_city="75011 PARIS",
        exported_at=EXPORTED_AT,
        **kwargs,  # type: ignore[arg-type]
    )


def _decrypt(data: bytes, keys: KeyPair, *, limit: int = LIMIT, partner: str = PARTNER) -> bytes:
    return container_decrypt(
        data, partner_name=partner, private_key_pem=keys.private_pem, max_decrypted_bytes=limit
    ).payload


def _edit(data: bytes, name: str, text: str) -> bytes:
    root = etree.fromstring(data)
    element = root.find(f".//{{{NAMESPACE}}}{name}")
    assert element is not None
    element.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _code(excinfo: pytest.ExceptionInfo[TimetableInvalid]) -> str:
    return excinfo.value.problems[0].code


def test_decrypting_what_was_encrypted_gives_back_the_payload_and_metadata(
    ent_keys: KeyPair, other_keys: KeyPair
) -> None:
    payload = edt_bytes()
    data = _encrypt(
        payload, {"INDEXEDUCATION": other_keys.public_pem, PARTNER: ent_keys.public_pem}
    )

    export = container_decrypt(
        data, partner_name=PARTNER, private_key_pem=ent_keys.private_pem, max_decrypted_bytes=LIMIT
    )

    assert export.payload == payload
    assert export.metadata.uai == UAI
    assert export.metadata.software == "PRONOTE 2025 - 1.0.3"
    assert export.metadata.version == "1.0"
    assert export.metadata.exported_at == EXPORTED_AT
    assert export.metadata.establishment_name == "Collège Jean Moulin"
    assert export.metadata.partner_names == ("INDEXEDUCATION", PARTNER)


def test_the_partner_name_is_matched_without_regard_to_case(ent_keys: KeyPair) -> None:
    data = _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem})

    assert _decrypt(data, ent_keys, partner=PARTNER.lower()) == b"<x/>"


def test_an_uncompressed_container_round_trips(ent_keys: KeyPair) -> None:
    data = _encrypt(b"<x>clair</x>", {PARTNER: ent_keys.public_pem}, compress=False)

    assert b'CompresseAvantChiffrement="false"' in data
    assert _decrypt(data, ent_keys) == b"<x>clair</x>"


def test_a_utf8_bom_in_front_of_the_payload_is_stripped(ent_keys: KeyPair) -> None:
    data = _encrypt(b"\xef\xbb\xbf<x/>", {PARTNER: ent_keys.public_pem})

    assert _decrypt(data, ent_keys) == b"<x/>"


def test_the_encrypted_output_validates_against_index_educations_container_schema(
    ent_keys: KeyPair, other_keys: KeyPair
) -> None:
    data = _encrypt(
        edt_bytes(), {"INDEXEDUCATION": other_keys.public_pem, PARTNER: ent_keys.public_pem}
    )
    schema = xsd("ConteneurExportChiffre.xsd")

    valid = schema.validate(etree.fromstring(data))

    assert valid, schema.error_log


def test_the_checksum_is_the_sha256_of_the_compressed_plaintext(ent_keys: KeyPair) -> None:
    payload = edt_bytes()
    root = etree.fromstring(_encrypt(payload, {PARTNER: ent_keys.public_pem}))

    verification = root.findtext(f"{{{NAMESPACE}}}VERIFICATION")

    assert (
        verification
        == base64.b64encode(hashlib.sha256(zlib.compress(payload, 9)).digest()).decode()
    )


def test_a_file_encrypted_for_another_partner_only_names_the_partners_found(
    ent_keys: KeyPair, other_keys: KeyPair
) -> None:
    data = _encrypt(
        b"<x/>", {"INDEXEDUCATION": other_keys.public_pem, "AUTRE-ENT": other_keys.public_pem}
    )

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "wrong_partner"
    assert "« INDEXEDUCATION », « AUTRE-ENT »" in excinfo.value.problems[0].message
    assert PARTNER in excinfo.value.problems[0].action


def test_a_file_encrypted_with_another_public_key_is_refused_as_wrong_key(
    ent_keys: KeyPair, other_keys: KeyPair
) -> None:
    data = _encrypt(b"<x/>", {PARTNER: other_keys.public_pem})

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "wrong_key"
    assert "pronote_keys" in excinfo.value.problems[0].action


def test_a_key_block_whose_md5_does_not_match_is_refused_as_wrong_key(ent_keys: KeyPair) -> None:
    public_key = serialization.load_pem_public_key(ent_keys.public_pem)
    forged = public_key.encrypt(os.urandom(48), padding.PKCS1v15())  # type: ignore[union-attr]
    data = _edit(
        _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem}),
        "PARTENAIRE",
        base64.encodebytes(forged).decode(),
    )

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "wrong_key"
    assert "MD5" in excinfo.value.problems[0].message


def test_no_configured_private_key_is_an_error_for_the_ent_administrator(ent_keys: KeyPair) -> None:
    data = _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem})

    with pytest.raises(TimetableInvalid) as excinfo:
        container_decrypt(
            data, partner_name=PARTNER, private_key_pem=None, max_decrypted_bytes=LIMIT
        )

    assert _code(excinfo) == "no_private_key"
    assert "pronote_keys" in excinfo.value.problems[0].action


def test_an_unreadable_configured_private_key_is_reported(ent_keys: KeyPair) -> None:
    data = _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem})

    with pytest.raises(TimetableInvalid) as excinfo:
        container_decrypt(
            data, partner_name=PARTNER, private_key_pem=b"pas une cle", max_decrypted_bytes=LIMIT
        )

    assert _code(excinfo) == "invalid_private_key"


def test_a_checksum_that_does_not_match_the_content_is_refused(ent_keys: KeyPair) -> None:
    wrong = base64.b64encode(hashlib.sha256(b"autre chose").digest()).decode()
    data = _edit(_encrypt(b"<x/>", {PARTNER: ent_keys.public_pem}), "VERIFICATION", wrong)

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "checksum_mismatch"


def test_corrupt_base64_content_is_refused(ent_keys: KeyPair) -> None:
    data = _edit(
        _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem}), "CONTENU", "@@ pas du base64 @@"
    )

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "corrupt_base64"
    assert excinfo.value.problems[0].ref == "CONTENU"


def test_content_of_a_length_aes_cannot_produce_is_refused(ent_keys: KeyPair) -> None:
    data = _edit(
        _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem}),
        "CONTENU",
        base64.b64encode(b"0123456789").decode(),
    )

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "corrupt_content"


def test_a_container_cut_short_is_refused_as_truncated(ent_keys: KeyPair) -> None:
    data = _encrypt(edt_bytes(), {PARTNER: ent_keys.public_pem})

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data[: len(data) // 2], ent_keys)

    assert _code(excinfo) == "truncated"


def test_an_unsupported_container_version_is_refused(ent_keys: KeyPair) -> None:
    data = _edit(_encrypt(b"<x/>", {PARTNER: ent_keys.public_pem}), "VERSION", "2.0")

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "unsupported_version"
    assert "2.0" in excinfo.value.problems[0].message


def test_a_zlib_bomb_beyond_the_limit_is_refused(ent_keys: KeyPair) -> None:
    bomb = b"<x>" + b" " * (8 * 1024 * 1024) + b"</x>"
    data = _encrypt(bomb, {PARTNER: ent_keys.public_pem})
    assert len(data) < 64 * 1024

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys, limit=1024 * 1024)

    assert _code(excinfo) == "decompression_bomb"


def test_inflating_a_bomb_never_holds_much_more_than_the_limit_in_memory() -> None:
    compressed = zlib.compress(b"\0" * (200 * 1024 * 1024), 9)
    tracemalloc.start()

    with pytest.raises(TimetableInvalid) as excinfo:
        inflate_bounded(compressed, max_bytes=2 * 1024 * 1024)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert _code(excinfo) == "decompression_bomb"
    assert peak < 8 * 1024 * 1024


def test_truncated_compressed_data_is_refused() -> None:
    compressed = zlib.compress(b"<x>" + os.urandom(4096) + b"</x>")

    with pytest.raises(TimetableInvalid) as excinfo:
        inflate_bounded(compressed[:-100], max_bytes=LIMIT)

    assert _code(excinfo) == "corrupt_content"


def test_an_uncompressed_content_beyond_libxml2s_default_text_limit_is_read(
    ent_keys: KeyPair,
) -> None:
    payload = b"<x>" + b"0123456789abcdef" * (512 * 1024) + b"</x>"
    data = _encrypt(payload, {PARTNER: ent_keys.public_pem}, compress=False)
    assert len(data) > 10_000_000

    assert _decrypt(data, ent_keys, limit=LIMIT) == payload


def test_entity_declarations_hidden_after_a_long_comment_are_refused(ent_keys: KeyPair) -> None:
    data = _encrypt(b"<x/>", {PARTNER: ent_keys.public_pem}).replace(
        b"<EXPORT_INDEX_EDUCATION",
        b"<!--" + b"x" * 70_000 + b'--><!DOCTYPE EXPORT_INDEX_EDUCATION [<!ENTITY e "e">]>\n'
        b"<EXPORT_INDEX_EDUCATION",
        1,
    )

    with pytest.raises(TimetableInvalid) as excinfo:
        _decrypt(data, ent_keys)

    assert _code(excinfo) == "unsafe_xml"
