"""The periodic sweep: runs abandoned by a dead worker go back to the queue, or end FAILED."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Message
from imports.models import ImportRun, ImportStep
from imports.services.queue import MAX_ATTEMPTS, import_queue_sweep
from tests.conftest import Personas
from tests.deposits.conftest import initialise_school_group, make_depositor
from tests.factories import ImportRunFactory


def _running(personas: Personas, *, attempts: int, heartbeat: dt.datetime) -> ImportRun:
    return ImportRunFactory(
        school_group=personas.group_a,
        status=ImportRun.Status.RUNNING,
        current_step="séances",
        attempts=attempts,
        file="deposits/abandoned.xml",
        original_filename="abandoned.xml",
        sha256="c" * 64,
        received_at=heartbeat,
        started_at=heartbeat,
        heartbeat_at=heartbeat,
    )


def test_an_abandoned_run_goes_back_to_the_queue_and_its_group_is_kicked(
    personas: Personas,
) -> None:
    now = timezone.now()
    run = _running(personas, attempts=1, heartbeat=now - dt.timedelta(hours=1))

    kicked = import_queue_sweep(now=now)

    run.refresh_from_db()
    assert run.status == ImportRun.Status.RECEIVED
    assert run.current_step == ""
    assert kicked == [personas.group_a.pk]


def test_a_run_with_a_recent_heartbeat_is_left_running(personas: Personas) -> None:
    now = timezone.now()
    run = _running(personas, attempts=1, heartbeat=now - dt.timedelta(seconds=10))

    assert import_queue_sweep(now=now) == []
    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING


def test_a_run_abandoned_on_every_attempt_fails_with_an_explanation_and_a_notification(
    personas: Personas, django_capture_on_commit_callbacks: object
) -> None:
    initialise_school_group(personas.group_a)
    make_depositor(personas.group_a, personas.charlie)
    now = timezone.now()
    run = _running(personas, attempts=MAX_ATTEMPTS, heartbeat=now - dt.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        import_queue_sweep(now=now)

    run.refresh_from_db()
    step = run.steps.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.finished_at == now
    assert step.outcome == ImportStep.Outcome.INTERRUPTED
    assert step.name == "séances"
    assert f"interrompu {MAX_ATTEMPTS} fois" in step.message
    assert f"import n° {run.pk}" in step.action
    assert f"Bilan de l'import n° {run.pk}" in run.bilan["text"]
    notice = Message.objects.filter(recipient=personas.charlie).latest("pk")
    assert notice.subject == "Import automatique en échec — Tous les établissements"
    assert f"interrompu {MAX_ATTEMPTS} fois" in notice.body
    assert notice.link.endswith(f"/imports/{run.pk}/")
