"""Matching keys: accent-, case-, hyphen- and space-insensitive, the same for every path."""

from __future__ import annotations

import unicodedata

import pytest

from ent.text import ascii_fold, name_key


def test_no_ascii_character_has_a_decomposition_or_is_combining() -> None:
    # What lets ascii_fold return an ASCII value as it is.
    for code in range(128):
        char = chr(code)
        assert unicodedata.normalize("NFKD", char) == char
        assert not unicodedata.combining(char)


@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("Martin", "Martin"),
        ("Jean-Marc O'Neil", "Jean-Marc O'Neil"),
        ("Éloïse", "Eloise"),
        ("Œdipe", "OEdipe"),
        ("Lætitia", "Laetitia"),
        ("Groß", "Groß"),
        ("ﬁlou", "filou"),
    ],
)
def test_names_fold_to_ascii_without_diacritics(value: str, folded: str) -> None:
    assert ascii_fold(value) == folded


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        (("DUPONT", "Jean-Marc"), "dupont jean marc"),
        (("  Le  Gall ", "Anne"), "le gall anne"),
        (("Bénédicte",), "benedicte"),
        (("Großmann",), "gro mann"),
        (("N'Diaye", "Aïcha"), "n diaye aicha"),
    ],
)
def test_name_keys_are_lower_case_ascii_words(parts: tuple[str, ...], key: str) -> None:
    assert name_key(*parts) == key
