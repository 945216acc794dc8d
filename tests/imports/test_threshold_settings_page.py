"""The threshold settings page ("Seuils et contrôles") of a school group."""

from __future__ import annotations

from django.test import Client

from imports.models import ImportRun, ThresholdSetting
from imports.thresholds import CONTROLS, DEFAULT_SETTINGS, Control, Setting, threshold_settings_for
from tests.conftest import PASSWORD, Personas
from tests.factories import ImportRunFactory


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _url(personas: Personas, group: object = None) -> str:
    return f"/cites/{(group or personas.group_a).pk}/imports/seuils/"


def _form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {}
    for spec in CONTROLS:
        name = spec.control.value.lower()
        if spec.default_percent is not None:
            data[f"{name}_percent"] = spec.default_percent
        if spec.default_blocking:
            data[f"{name}_blocking"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_every_control_with_its_default_and_blocking_flag(
    personas: Personas,
) -> None:
    response = _client("alice").get(_url(personas))

    assert response.status_code == 200
    html = response.content.decode()
    for spec in CONTROLS:
        assert spec.label.replace("'", "&#x27;") in html
    assert 'name="subjects_created_percent" value="50"' in html
    assert 'name="teachers_unmatched_percent" value="5"' in html
    assert 'name="courses_cancelled_percent" value="100"' in html
    assert "closing_coherence_percent" not in html


def test_saving_changes_a_percentage_and_unticks_a_blocking_flag(personas: Personas) -> None:
    data = _form_data(services_modified_percent=35, subjects_created_blocking=None)

    response = _client("alice").post(_url(personas), data)

    assert response.status_code == 302
    settings = threshold_settings_for(school_group_id=personas.group_a.pk)
    assert settings[Control.SERVICES_MODIFIED] == Setting(35, True)
    assert settings[Control.SUBJECTS_CREATED] == Setting(50, False)
    assert settings[Control.CLOSING_COHERENCE] == Setting(None, True)
    assert threshold_settings_for(school_group_id=personas.group_b.pk) == DEFAULT_SETTINGS


def test_a_percentage_over_100_is_refused_in_french_and_nothing_is_saved(
    personas: Personas,
) -> None:
    response = _client("alice").post(_url(personas), _form_data(sessions_delta_percent=120))

    assert response.status_code == 200
    assert "Le seuil ne peut pas dépasser 100\u202f%." in response.content.decode()
    assert not ThresholdSetting.objects.exists()


def test_restoring_the_defaults_resets_every_control(personas: Personas) -> None:
    client = _client("alice")
    client.post(_url(personas), _form_data(groups_unmatched_percent=40))

    client.post(_url(personas), {"defaults": "1", "confirmed": "1"})

    assert threshold_settings_for(school_group_id=personas.group_a.pk) == DEFAULT_SETTINGS


def test_the_settings_are_read_only_while_an_import_runs(personas: Personas) -> None:
    running = ImportRunFactory(
        school_group=personas.group_a,
        status=ImportRun.Status.RUNNING,
    )
    client = _client("alice")

    page = client.get(_url(personas)).content.decode()
    client.post(_url(personas), _form_data(groups_unmatched_percent=40))

    assert f"Un import est en cours (import n° {running.pk})" in page
    assert "Enregistrer" not in page
    assert not ThresholdSetting.objects.exists()


def test_another_school_groups_manager_gets_a_404_and_anonymous_users_log_in(
    personas: Personas,
) -> None:
    assert _client("bob").get(_url(personas)).status_code == 404
    assert _client("bob").post(_url(personas), _form_data()).status_code == 404
    anonymous = Client().get(_url(personas))
    assert anonymous.status_code == 302
    assert "/comptes/connexion/" in anonymous["Location"]
