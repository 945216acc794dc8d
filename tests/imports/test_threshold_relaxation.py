"""Time-boxed threshold relaxations: they apply over their window and revert by themselves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ent.models import Person
from imports.models import ImportRun, ThresholdRelaxation
from imports.thresholds import (
    DEFAULT_SETTINGS,
    Control,
    RelaxationRefused,
    Setting,
    threshold_relaxation_create,
    threshold_relaxation_end,
    threshold_settings_for,
)
from tests.conftest import PASSWORD, Personas
from tests.imports.pipeline_support import PARIS, School, edt_file, run_import, school
from tests.imports.test_pipeline_thresholds import EVENING, evaluation, only_blocking

__all__ = ["school"]

NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=PARIS)


def _relax(group_id: int, control: Control = Control.SERVICES_MODIFIED, **overrides: object):
    arguments = {
        "school_group_id": group_id,
        "control": control,
        "percent": 80,
        "blocking": False,
        "starts_at": NOW,
        "ends_at": NOW + dt.timedelta(days=5),
        "reason": "Voyage scolaire des 4e",
        "created_by_id": None,
        "now": NOW,
    }
    return threshold_relaxation_create(**{**arguments, **overrides})


def test_a_relaxation_replaces_the_setting_only_inside_its_window(personas: Personas) -> None:
    relaxation = _relax(personas.group_a.pk)
    group = personas.group_a.pk

    inside = threshold_settings_for(school_group_id=group, at=NOW + dt.timedelta(days=2))
    at_the_end = threshold_settings_for(school_group_id=group, at=relaxation.ends_at)
    before = threshold_settings_for(school_group_id=group, at=NOW - dt.timedelta(seconds=1))

    assert inside[Control.SERVICES_MODIFIED] == Setting(80, False, relaxation.ends_at)
    assert inside[Control.SERVICES_CREATED] == DEFAULT_SETTINGS[Control.SERVICES_CREATED]
    assert at_the_end == DEFAULT_SETTINGS  # half-open: the end instant is back to normal
    assert before == DEFAULT_SETTINGS
    assert threshold_settings_for(school_group_id=personas.group_b.pk, at=NOW) == DEFAULT_SETTINGS


def test_the_latest_of_two_overlapping_relaxations_wins(personas: Personas) -> None:
    _relax(personas.group_a.pk, percent=70)
    _relax(personas.group_a.pk, percent=90, blocking=True)

    settings = threshold_settings_for(school_group_id=personas.group_a.pk, at=NOW)

    assert (
        settings[Control.SERVICES_MODIFIED].percent,
        settings[Control.SERVICES_MODIFIED].blocking,
    ) == (90, True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"control": Control.CLOSING_COHERENCE}, "ne peut pas être assouplie"),
        ({"ends_at": NOW - dt.timedelta(hours=1)}, "postérieure"),
        ({"ends_at": NOW + dt.timedelta(days=93)}, "au plus 92 jours"),
    ],
)
def test_a_relaxation_of_coherence_or_outside_a_short_future_window_is_refused(
    personas: Personas, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(RelaxationRefused, match=message):
        _relax(personas.group_a.pk, **overrides)

    assert not ThresholdRelaxation.objects.exists()


def test_ending_a_relaxation_in_force_keeps_its_history_and_drops_a_future_one(
    personas: Personas,
) -> None:
    current = _relax(personas.group_a.pk)
    future = _relax(
        personas.group_a.pk,
        starts_at=NOW + dt.timedelta(days=10),
        ends_at=NOW + dt.timedelta(days=12),
    )
    later = NOW + dt.timedelta(days=1)

    threshold_relaxation_end(relaxation=current, now=later)
    threshold_relaxation_end(relaxation=future, now=later)

    current.refresh_from_db()
    assert current.ends_at == later
    assert not ThresholdRelaxation.objects.filter(pk=future.pk).exists()
    assert threshold_settings_for(school_group_id=personas.group_a.pk, at=later) == DEFAULT_SETTINGS


def test_an_import_during_a_relaxation_passes_and_the_same_import_after_it_blocks(
    school: School,
) -> None:
    Person.objects.filter(pk=school.teachers[0].pk).update(pronote_idpn="", last_name="AUTRE")
    only_blocking(school, Control.TEACHERS_UNMATCHED, 5)  # 1 teacher in 10 unmatched: 10 %
    relaxation = _relax(
        school.group.pk,
        control=Control.TEACHERS_UNMATCHED,
        percent=20,
        blocking=True,
        starts_at=EVENING - dt.timedelta(hours=1),
        ends_at=EVENING + dt.timedelta(hours=1),
        now=EVENING - dt.timedelta(hours=1),
    )

    during = run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL, now=EVENING)
    after = run_import(
        school, edt_file(), mode=ImportRun.Mode.MANUAL, now=EVENING + dt.timedelta(hours=2)
    )

    assert during.status == ImportRun.Status.INTEGRATED, [s.message for s in during.steps.all()]
    relaxed = evaluation(during, Control.TEACHERS_UNMATCHED)
    assert (relaxed["setting"], relaxed["exceeded"]) == (20, False)
    assert dt.datetime.fromisoformat(relaxed["relaxed_until"]) == relaxation.ends_at
    assert any("seuil assoupli" in d for d in during.steps.get(name="seuils").details)
    assert "assoupli jusqu'au" in during.bilan["text"]
    assert after.status == ImportRun.Status.BLOCKED
    assert evaluation(after, Control.TEACHERS_UNMATCHED)["relaxed_until"] is None


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_a_manager_relaxes_a_threshold_until_a_day_included_and_ends_it(
    personas: Personas,
) -> None:
    url = f"/cites/{personas.group_a.pk}/imports/seuils/"
    today = timezone.localdate()
    until = today + dt.timedelta(days=3)
    client = _client("alice")

    response = client.post(
        url + "assouplissements/",
        {
            "control": "SESSIONS_DELTA",
            "percent": "90",
            "until": until.isoformat(),
            "reason": "Stages des 3e",
        },
    )

    relaxation = ThresholdRelaxation.objects.get()
    assert response.status_code == 302
    assert timezone.localtime(relaxation.ends_at) == dt.datetime.combine(
        until + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    assert (relaxation.percent, relaxation.blocking, relaxation.reason) == (
        90,
        False,
        "Stages des 3e",
    )
    page = client.get(url).content.decode()
    assert "Stages des 3e" in page and "en vigueur" in page

    client.post(url + f"assouplissements/{relaxation.pk}/fin/")

    relaxation.refresh_from_db()
    assert relaxation.ends_at <= timezone.now()
    assert "Aucun assouplissement en cours ni prévu." in client.get(url).content.decode()


def test_the_page_refuses_a_coherence_relaxation_and_another_groups_manager(
    personas: Personas,
) -> None:
    url = f"/cites/{personas.group_a.pk}/imports/seuils/assouplissements/"
    data = {
        "control": "CLOSING_COHERENCE",
        "percent": "50",
        "until": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        "reason": "Essai",
    }

    refused = _client("alice").post(url, data)
    foreign = _client("bob").post(url, {**data, "control": "SESSIONS_DELTA"})

    assert refused.status_code == 200
    assert "Sélectionnez un choix valide" in refused.content.decode()
    assert foreign.status_code == 404
    assert not ThresholdRelaxation.objects.exists()
