"""The import queue: one run at a time per school group, in order, with supersession.

:func:`import_queue_process` is what the Celery task calls: it claims the school group's
runs one at a time and has :func:`imports.services.pipeline.import_run_execute` run each.
Runs wait in ``RECEIVED``. :func:`import_queue_advance` takes the school group's lock (its
row, ``SELECT … FOR UPDATE``), marks waiting automatic runs that a newer deposit for the same
target makes pointless as ``SUPERSEDED``, and claims the oldest remaining run with a
compare-and-set (``RECEIVED`` → ``RUNNING``), so a redelivered task does nothing. The
periodic sweep hands runs left ``RUNNING`` by a dead worker back to the queue (their apply
transaction was rolled back with the worker's connection) and re-enqueues waiting runs whose
message was lost with the broker.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from ent.clock import Clock
from ent.formatting import format_moment
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun, ImportStep
from imports.services.pipeline import import_run_abandon, import_run_execute

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = ImportRun.MAX_ATTEMPTS


def _stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)


def import_queue_process(*, school_group_id: int, clock: Clock) -> None:
    """Execute the school group's waiting runs, one at a time, until none is left."""
    while True:
        run = import_queue_claim_next(school_group_id=school_group_id, now=clock())
        if run is None:
            return
        if not import_run_execute(run=run, clock=clock):
            return  # a transient error: the sweep will bring the run back later


def import_queue_claim_next(*, school_group_id: int, now: dt.datetime) -> ImportRun | None:
    """Claim the school group's next run, or return ``None`` when one runs or none waits."""
    with transaction.atomic():
        SchoolGroup.objects.select_for_update().filter(pk=school_group_id).first()
        runs = ImportRun.objects.filter(school_group_id=school_group_id)
        if runs.filter(status=ImportRun.Status.RUNNING).exists():
            return None
        waiting = list(runs.filter(status=ImportRun.Status.RECEIVED).order_by("received_at", "pk"))
        _supersede(waiting, now=now)
        for run in waiting:
            if run.status != ImportRun.Status.RECEIVED:
                continue
            claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RECEIVED).update(
                status=ImportRun.Status.RUNNING,
                started_at=now,
                heartbeat_at=now,
                attempts=run.attempts + 1,
            )
            if claimed == 1:
                run.refresh_from_db()
                return run
        return None


def _supersede(waiting: list[ImportRun], *, now: dt.datetime) -> None:
    """Mark automatic runs followed by a newer automatic deposit for the same target."""
    latest: dict[object, ImportRun] = {}
    for run in waiting:
        if run.mode == ImportRun.Mode.AUTOMATIC:
            latest[run.establishment_id] = run
    for run in waiting:
        newer = latest.get(run.establishment_id)
        if run.mode != ImportRun.Mode.AUTOMATIC or newer is None or newer.pk == run.pk:
            continue
        run.status = ImportRun.Status.SUPERSEDED
        run.finished_at = now
        run.save(update_fields=["status", "finished_at"])
        ImportStep.objects.create(
            run=run,
            position=1,
            name="file d'attente",
            outcome=ImportStep.Outcome.INTERRUPTED,
            message=(
                f"Un dépôt plus récent (import n° {newer.pk}, reçu le "
                f"{format_moment(newer.received_at)}) pour la même cible le remplace."
            ),
            action="Aucune action : seul le fichier le plus récent est importé.",
        )


def import_queue_position(*, run: ImportRun) -> int:
    """Return how many runs of the school group are running or waiting ahead of ``run``."""
    ahead = ImportRun.objects.filter(school_group_id=run.school_group_id).filter(
        Q(status=ImportRun.Status.RUNNING)
        | Q(status=ImportRun.Status.RECEIVED, received_at__lt=run.received_at)
    )
    return ahead.exclude(pk=run.pk).count()


def import_queue_establishments_ahead(*, run: ImportRun) -> int:
    """Return how many establishments the runs ahead of ``run`` are importing.

    Runs ahead are those running and those received earlier (same instant: lower id first).
    A run for "Tous les établissements" counts every establishment of the school group once;
    two runs for the same target count it once (seed 001: "x établissements sont déjà en
    cours d'importation").
    """
    ahead = ImportRun.objects.filter(school_group_id=run.school_group_id).filter(
        Q(status=ImportRun.Status.RUNNING)
        | Q(status=ImportRun.Status.RECEIVED, received_at__lt=run.received_at)
        | Q(status=ImportRun.Status.RECEIVED, received_at=run.received_at, pk__lt=run.pk)
    )
    targets = set(ahead.exclude(pk=run.pk).values_list("establishment_id", flat=True))
    if None in targets:
        return Establishment.objects.filter(school_group_id=run.school_group_id).count()
    return len(targets)


def import_queue_sweep(*, now: dt.datetime) -> list[int]:
    """Requeue runs left behind by a dead worker or a lost message; return the group ids to kick.

    A run ``RUNNING`` without a heartbeat for ``IMPORT_STALE_AFTER_SECONDS`` goes back to
    ``RECEIVED`` (or ``FAILED`` after :data:`MAX_ATTEMPTS`).
    """
    stale = now - _stale_after()
    groups: set[int] = set()
    with transaction.atomic():
        dead = ImportRun.objects.select_for_update(skip_locked=True).filter(
            status=ImportRun.Status.RUNNING, heartbeat_at__lt=stale
        )
        for run in dead:
            if run.attempts >= MAX_ATTEMPTS:
                logger.error("Import run %s failed after %s attempts", run.pk, run.attempts)
                import_run_abandon(run=run, clock=lambda: now)
                continue
            run.status = ImportRun.Status.RECEIVED
            run.current_step = ""
            run.save(update_fields=["status", "current_step"])
            logger.warning("Import run %s abandoned by its worker: requeued", run.pk)
    waiting = ImportRun.objects.filter(status=ImportRun.Status.RECEIVED)
    groups.update(waiting.values_list("school_group_id", flat=True).distinct())
    return sorted(groups)
