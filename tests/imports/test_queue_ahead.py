"""The queue message counts the establishments of the group whose imports come first."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ent.models import Establishment
from imports.models import ImportRun
from imports.services.queue import import_queue_establishments_ahead
from tests.conftest import Personas
from tests.factories import EstablishmentFactory, ImportRunFactory


def _run(personas: Personas, establishment: Establishment | None, status: str, minutes: int):
    return ImportRunFactory(
        school_group=establishment.school_group if establishment else personas.group_a,
        establishment=establishment,
        status=status,
        size=10,
        received_at=timezone.now() - dt.timedelta(minutes=minutes),
    )


def test_each_establishment_ahead_is_counted_once(personas: Personas) -> None:
    third = EstablishmentFactory(school_group=personas.group_a, name="Lycée pro A")
    _run(personas, personas.college_a, ImportRun.Status.RUNNING, 10)
    _run(personas, personas.lycee_a, ImportRun.Status.RECEIVED, 9)
    _run(personas, personas.lycee_a, ImportRun.Status.RECEIVED, 8)
    _run(personas, personas.college_b, ImportRun.Status.RECEIVED, 8)  # another group
    mine = _run(personas, third, ImportRun.Status.RECEIVED, 5)
    _run(personas, personas.college_a, ImportRun.Status.RECEIVED, 1)  # behind

    assert import_queue_establishments_ahead(run=mine) == 2


def test_a_whole_group_import_ahead_counts_every_establishment(personas: Personas) -> None:
    _run(personas, None, ImportRun.Status.RUNNING, 10)
    mine = _run(personas, personas.lycee_a, ImportRun.Status.RECEIVED, 5)

    assert import_queue_establishments_ahead(run=mine) == 2


def test_the_run_page_tells_the_manager_how_many_establishments_are_ahead(
    personas: Personas, client: Client
) -> None:
    _run(personas, personas.college_a, ImportRun.Status.RUNNING, 10)
    mine = _run(personas, personas.lycee_a, ImportRun.Status.RECEIVED, 5)
    client.force_login(personas.alice)

    page = client.get(reverse("imports:run_detail", args=[personas.group_a.pk, mine.pk]))

    assert "1 établissement est déjà en cours d'importation." in page.content.decode()
