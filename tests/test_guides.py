"""The user guides name the tabs the site actually shows, in the site's order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NAV = ROOT / "templates" / "ent" / "_group_nav.html"
GUIDES = {
    "guide-import.md": "Tout se trouve dans la page de la cité scolaire",
    "guide-depot.md": "La page de la cité scolaire a les onglets",
}


def _site_tabs() -> list[str]:
    return re.findall(r'\{% translate "([^"]+)" %\}</a>', NAV.read_text())


def _paragraph(text: str, opening: str) -> str:
    start = text.index(opening)
    return text[start : text.index("\n\n", start)]


def test_the_group_navigation_has_the_tabs_the_guides_describe() -> None:
    assert _site_tabs()[:3] == ["Établissements", "Année scolaire", "Emplois du temps"]
    assert "Comptes d'accès" in _site_tabs()


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_each_guide_lists_every_tab_of_the_site_in_its_order(guide: str) -> None:
    text = (ROOT / "docs" / guide).read_text()

    listed = re.findall(r"\*\*« ([^»]+) »\*\*", _paragraph(text, GUIDES[guide]))

    assert listed == _site_tabs()


@pytest.mark.parametrize("guide", sorted(GUIDES))
def test_every_tab_a_guide_sends_the_reader_to_exists(guide: str) -> None:
    text = (ROOT / "docs" / guide).read_text().replace("\n", " ")

    named = re.findall(r"onglets? \**« ([^»]+) »", text)

    assert named
    assert set(named) <= set(_site_tabs())
