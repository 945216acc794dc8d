"""Sensitive threshold changes ask first and are recorded; relaxation dates read as entered."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import timezone

from imports.dates_display import from_label, until_label
from imports.models import ThresholdSettingsChange
from imports.thresholds import DEFAULT_SETTINGS, Control, Setting, threshold_settings_for
from tests.conftest import PASSWORD, Personas
from tests.imports.test_threshold_settings_page import _form_data, _url

PARIS = ZoneInfo("Europe/Paris")


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _page(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def test_unticking_the_coherence_control_asks_for_confirmation_first(personas: Personas) -> None:
    client = _client("alice")
    data = _form_data(closing_coherence_blocking=None, services_modified_percent=35)

    question = client.post(_url(personas), data)
    unchanged = threshold_settings_for(school_group_id=personas.group_a.pk)
    confirmed = client.post(_url(personas), {**data, "confirmed": "1"})

    assert question.status_code == 200
    assert "Très important" in _page(question) and "Confirmer" in _page(question)
    assert "% de services d'enseignement modifiés : 30 % → 35 %" in _page(question)
    assert unchanged == DEFAULT_SETTINGS
    assert confirmed.status_code == 302
    saved = threshold_settings_for(school_group_id=personas.group_a.pk)
    assert saved[Control.CLOSING_COHERENCE] == Setting(None, False)
    assert saved[Control.SERVICES_MODIFIED] == Setting(35, True)


def test_the_confirmed_unticking_is_recorded_and_shown_with_who_and_when(
    personas: Personas,
) -> None:
    client = _client("alice")
    client.post(_url(personas), {**_form_data(closing_coherence_blocking=None), "confirmed": "1"})

    page = _page(client.get(_url(personas)))

    change = ThresholdSettingsChange.objects.get(school_group=personas.group_a)
    assert change.changed_by == personas.alice and change.coherence_unblocked
    assert (
        "n'est plus bloquante depuis le" in page
        and f"décochée par {personas.alice.get_full_name()}" in page
    )
    assert "Cohérence rendue non bloquante (confirmé)" in page
    assert f"{change.changed_at.astimezone(PARIS):%d/%m/%Y %H:%M}" in page


def test_restoring_the_defaults_asks_for_confirmation_and_is_recorded(personas: Personas) -> None:
    client = _client("hugo")
    client.post(_url(personas), _form_data(groups_unmatched_percent=40))

    question = client.post(_url(personas), {"defaults": "1"})
    still = threshold_settings_for(school_group_id=personas.group_a.pk)[Control.GROUPS_UNMATCHED]
    client.post(_url(personas), {"defaults": "1", "confirmed": "1"})
    page = _page(client.get(_url(personas)))

    assert "Rétablir les valeurs par défaut remplace tous les réglages" in _page(question)
    assert still == Setting(40, False)
    assert threshold_settings_for(school_group_id=personas.group_a.pk) == DEFAULT_SETTINGS
    restored = ThresholdSettingsChange.objects.filter(defaults_restored=True).get()
    assert restored.changed_by == personas.hugo
    assert restored.changes == ["% de groupes non rapprochés : 40 % → 5 %"]
    assert "Valeurs par défaut rétablies" in page


def test_an_ordinary_change_saves_at_once_and_is_recorded(personas: Personas) -> None:
    response = _client("alice").post(_url(personas), _form_data(subjects_created_percent=60))

    assert response.status_code == 302
    change = ThresholdSettingsChange.objects.get()
    assert change.changes == ["% de matières créées : 50 % → 60 %"]
    assert not change.coherence_unblocked and not change.defaults_restored


def test_relaxation_bounds_are_shown_as_the_user_entered_them(personas: Personas) -> None:
    ends = dt.datetime(2026, 12, 16, 0, 0, tzinfo=PARIS)
    stopped = dt.datetime(2026, 12, 10, 14, 30, tzinfo=PARIS)

    assert until_label(ends) == "15/12/2026 inclus"
    assert until_label(stopped) == "10/12/2026 à 14:30"
    assert from_label(dt.datetime(2026, 12, 1, tzinfo=PARIS)) == "01/12/2026"


def test_the_settings_page_lists_a_relaxation_until_its_last_day_included(
    personas: Personas,
) -> None:
    client = _client("alice")
    today = timezone.localdate()
    until = today + dt.timedelta(days=20)

    added = client.post(
        f"{_url(personas)}assouplissements/",
        {
            "control": "TEACHERS_UNMATCHED",
            "percent": 30,
            "until": until.isoformat(),
            "reason": "Voyage scolaire",
        },
        follow=True,
    )

    page = _page(added)
    assert f"jusqu'au {until:%d/%m/%Y} inclus" in page
    assert f"{until + dt.timedelta(days=1):%d/%m/%Y} 00:00" not in page
