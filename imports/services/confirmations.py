"""Confirming a preview, applying a blocked run anyway, and going back to an earlier timetable.

Each of these submits the exact bytes of an earlier run as a new MANUAL run recorded with the
user who asked and the run it comes from (``origin``). A PREVIEWED or BLOCKED run produces at
most one run: the row lock serialises two clicks, and the database's unique constraint
``import_run_confirmed_once`` refuses a replayed request whatever the path. Applying a file
older than the timetable in place asks for a second, explicit confirmation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from imports.models import ImportRun
from imports.selectors import school_year_current
from imports.services.deposits import deposit_receive


class ConfirmationRefused(ValueError):
    """The run cannot be confirmed, applied or rolled back to; the message is in French."""

    def __init__(self, message: str, *, produced: ImportRun | None = None) -> None:
        super().__init__(message)
        self.produced = produced


class OlderThanCurrent(Exception):
    """The file is older than the integrated timetable of its target: ask again."""

    def __init__(self, newer: ImportRun) -> None:
        super().__init__(f"newer run {newer.pk}")
        self.newer = newer


def run_produced(run: ImportRun) -> ImportRun | None:
    """Return the run a confirmation or "apply anyway" of ``run`` created, if any."""
    return run.produced_runs.filter(origin_kind__in=ImportRun.ONE_SHOT_ORIGINS).first()


def run_file_received_at(run: ImportRun) -> dt.datetime:
    """Return when the file of ``run`` first reached the ENT (through its confirmations)."""
    while run.origin is not None and run.origin_kind in ImportRun.ONE_SHOT_ORIGINS:
        run = run.origin
    return run.received_at


def run_newer_integrated(run: ImportRun) -> ImportRun | None:
    """Return the integrated run of the same target whose file is newer than ``run``'s.

    A rollback goes back on purpose: it is never "older". A run for the whole school group
    compares with runs of any of its establishments; a run for one establishment with runs
    for it or for the whole group.
    """
    if run.rollback_of_id is not None:
        return None
    runs = ImportRun.objects.filter(
        school_group_id=run.school_group_id,
        status=ImportRun.Status.INTEGRATED,
        received_at__gt=run_file_received_at(run),
    ).exclude(sha256=run.sha256)
    if run.establishment_id is not None:
        runs = runs.filter(Q(establishment_id=run.establishment_id) | Q(establishment__isnull=True))
    return runs.order_by("-received_at", "-pk").first()


def run_confirm(
    *, run: ImportRun, user_id: int | None, now: dt.datetime, accept_older: bool = False
) -> ImportRun:
    """Submit a PREVIEWED or BLOCKED run's file again, to be applied; return the new run.

    The new run is MANUAL, confirmed despite the thresholds (the user has seen them), and
    links back to ``run``. Raises :class:`ConfirmationRefused` when ``run`` is not waiting
    for a confirmation or was already confirmed, and :class:`OlderThanCurrent` when its file
    is older than the integrated timetable and ``accept_older`` is not set.
    """
    try:
        with transaction.atomic():
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            _check_confirmable(locked)
            newer = run_newer_integrated(locked)
            if newer is not None and not accept_older:
                raise OlderThanCurrent(newer)
            kind = (
                ImportRun.Origin.CONFIRMATION
                if locked.status == ImportRun.Status.PREVIEWED
                else ImportRun.Origin.FORCED
            )
            return _resubmit(
                locked,
                user_id=user_id,
                now=now,
                preview_only=False,
                apply_anyway=True,
                links={"origin": locked, "origin_kind": kind, "rollback_of": locked.rollback_of},
            )
    except IntegrityError:
        # Another request confirmed the same run between our check and our insert.
        _check_confirmable(ImportRun.objects.get(pk=run.pk))
        raise


def run_rollback(
    *,
    run: ImportRun,
    user_id: int | None,
    now: dt.datetime,
    preview: bool = True,
    apply_anyway: bool = False,
) -> ImportRun:
    """Submit an earlier INTEGRATED run's file again as a MANUAL run going back to it.

    With ``preview`` (the pages), the new run stops before writing, to be confirmed; without
    (the command), it applies unless a blocking threshold is exceeded (or ``apply_anyway``).
    Raises
    :class:`ConfirmationRefused` for a run that is not integrated or not of the current
    school year.
    """
    if run.status != ImportRun.Status.INTEGRATED:
        raise ConfirmationRefused(
            f"L'import n° {run.pk} n'a pas été intégré : on ne peut revenir qu'à un emploi du "
            "temps qui a été appliqué."
        )
    year = school_year_current(run.school_group, today=timezone.localdate(now))
    received = timezone.localdate(run.received_at)
    if year is None or not (year.start_date <= received < year.end_date):
        raise ConfirmationRefused(
            f"L'import n° {run.pk} n'est pas de l'année scolaire en cours : importez un fichier "
            "de cette année scolaire."
        )
    return _resubmit(
        run,
        user_id=user_id,
        now=now,
        preview_only=preview,
        apply_anyway=apply_anyway and not preview,
        links={"origin": run, "origin_kind": ImportRun.Origin.ROLLBACK, "rollback_of": run},
    )


def _check_confirmable(run: ImportRun) -> None:
    produced = run_produced(run)
    if produced is not None:
        verb = "confirmé" if run.status == ImportRun.Status.PREVIEWED else "appliqué"
        raise ConfirmationRefused(
            f"L'import n° {run.pk} a déjà été {verb} : c'est l'import n° {produced.pk}. "
            "Aucun nouvel import n'a été créé ; suivez l'import n° "
            f"{produced.pk}.",
            produced=produced,
        )
    if not run.is_confirmable:
        raise ConfirmationRefused(
            f"L'import n° {run.pk} n'est ni bloqué par un seuil ni un aperçu : il ne peut pas "
            "être appliqué de nouveau."
        )


def _resubmit(
    run: ImportRun,
    *,
    user_id: int | None,
    now: dt.datetime,
    preview_only: bool,
    apply_anyway: bool,
    links: dict[str, object],
) -> ImportRun:
    with run.file.open("rb") as stream:
        return deposit_receive(
            school_group=run.school_group,
            establishment=run.establishment,
            filename=run.original_filename,
            stream=stream,
            deposited_by_id=user_id,
            mode=ImportRun.Mode.MANUAL,
            apply_anyway=apply_anyway,
            preview_only=preview_only,
            now=now,
            links=links,
        )


def run_rollback_now(
    *, run_id: int, clock: Callable[[], dt.datetime], apply_anyway: bool = False
) -> ImportRun:
    """Go back to run ``run_id`` in this process (``timetable_rollback``); return the new run.

    The new run waits behind any run of the school group already queued. Raises
    :class:`ConfirmationRefused` for an unknown run or one that cannot be gone back to.
    """
    from imports.services.queue import import_queue_process

    run = (
        ImportRun.objects.select_related("school_group", "establishment").filter(pk=run_id).first()
    )
    if run is None:
        raise ConfirmationRefused(f"Aucun import n'a le numéro {run_id}.")
    rollback = run_rollback(
        run=run, user_id=None, now=clock(), preview=False, apply_anyway=apply_anyway
    )
    import_queue_process(school_group_id=run.school_group_id, clock=clock)
    rollback.refresh_from_db()
    return rollback
