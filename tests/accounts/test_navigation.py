"""The school group tabs: each page marks the tab it belongs to as the current one."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.context_processors import group_tab
from tests.conftest import Personas


@pytest.mark.parametrize(
    ("path", "tab"),
    [
        ("/cites/3/", "establishments"),
        ("/cites/3/annee-scolaire/", "school_year"),
        ("/cites/3/emplois-du-temps/1/classe/12/", "timetables"),
        ("/cites/3/imports/", "history"),
        ("/cites/3/imports/42/", "history"),
        ("/cites/3/imports/42/changements/", "history"),
        ("/cites/3/imports/manuel/", "manual_import"),
        ("/cites/3/imports/seuils/assouplissements/", "thresholds"),
        ("/cites/3/imports/rapprochements/", "manual_matches"),
        ("/cites/3/imports/42/rapprochements/", "manual_matches"),
        ("/cites/3/import-automatise/comptes/ajouter/", "depositors"),
        ("/comptes/messages/", ""),
        ("/", ""),
    ],
)
def test_a_page_belongs_to_the_tab_of_its_path(path: str, tab: str) -> None:
    assert group_tab(path) == tab


@pytest.mark.django_db
def test_each_school_group_page_shows_its_own_tab_as_the_current_one(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.alice)
    group = personas.group_a.pk
    expected = {
        f"/cites/{group}/": "Établissements",
        f"/cites/{group}/imports/": "Historique des imports",
        f"/cites/{group}/imports/seuils/": "Seuils",
        f"/cites/{group}/import-automatise/comptes/": "Comptes d'accès",
    }

    pages = {path: client.get(path).content.decode() for path in expected}

    for path, label in expected.items():
        assert pages[path].count('aria-current="page"') == 1, path
        assert f'aria-current="page">{label}</a>' in pages[path], path
