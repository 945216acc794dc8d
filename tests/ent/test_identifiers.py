from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ent.identifiers import is_valid_ine, is_valid_uai, make_uai, uai_check_letter, validate_uai


@pytest.mark.parametrize("uai", ["0332490C", "0750654D", "0781297L", "0400740M"])
def test_real_uais_pass_the_check_letter(uai: str) -> None:
    assert is_valid_uai(uai)


@pytest.mark.parametrize("uai", ["0750001A", "0000000V", "1004001V", "0940321S"])
def test_common_fake_uais_fail_the_check_letter(uai: str) -> None:
    assert not is_valid_uai(uai)


@pytest.mark.parametrize("uai", ["", "075065D", "07506544D", "0750654d", "A750654D", " 0750654D"])
def test_malformed_uais_are_refused(uai: str) -> None:
    assert not is_valid_uai(uai)


def test_check_letter_skips_i_o_and_q() -> None:
    letters = {uai_check_letter(f"{n:07d}") for n in range(23)}

    assert letters.isdisjoint({"I", "O", "Q"})
    assert len(letters) == 23


def test_make_uai_appends_the_right_letter() -> None:
    assert make_uai("0750001") == "0750001U"


def test_validator_names_the_expected_letter_in_french() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_uai("0750001A")

    assert "lettre de contrôle incorrecte (attendu : U)" in str(excinfo.value)


def test_validator_explains_the_expected_shape() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_uai("12345")

    assert "7 chiffres suivis d'une lettre" in str(excinfo.value)


@pytest.mark.parametrize("ine", ["123456789FF", "1234567890F", "1234A12345F"])
def test_ine_shapes_are_accepted(ine: str) -> None:
    assert is_valid_ine(ine)


@pytest.mark.parametrize("ine", ["12345678FF", "ABCDEFGHIJK", "123456789F1"])
def test_ine_shapes_are_refused(ine: str) -> None:
    assert not is_valid_ine(ine)
