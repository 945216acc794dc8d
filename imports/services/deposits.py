"""Receiving a timetable file: store it durably, record the run, enqueue it after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.db import transaction

from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun
from imports.parsers.registry import accepted_files_text, accepted_suffixes
from imports.tasks import import_run_execute_task

# The endings of the formats registered at start-up (the WebDAV folders list these files).
ACCEPTED_SUFFIXES = accepted_suffixes()
_CHUNK = 1024 * 1024


class DepositRefused(ValueError):
    """A deposit refused before anything is kept; the message is for the user, in French."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def deposit_check_name(filename: str) -> None:
    """Refuse a file whose name no registered format accepts (e.g. neither .xml nor .zip)."""
    if not filename.lower().endswith(accepted_suffixes()):
        raise DepositRefused(
            f"« {filename} » n'est pas un export d'emploi du temps : seuls les fichiers "
            f"{accepted_files_text()} sont acceptés.",
            code="wrong_type",
        )


def deposit_check_size(size: int) -> None:
    """Refuse a file over ``ENT_MAX_DEPOSIT_BYTES``."""
    limit = settings.ENT_MAX_DEPOSIT_BYTES
    if size > limit:
        raise DepositRefused(
            f"Le fichier fait {size} octets, au-delà de la limite de {limit} octets. "
            "Vérifiez que vous déposez bien l'export de l'emploi du temps.",
            code="too_large",
        )


def deposit_receive(
    *,
    school_group: SchoolGroup,
    establishment: Establishment | None,
    filename: str,
    stream: IO[bytes],
    deposited_by_id: int | None,
    mode: str = ImportRun.Mode.AUTOMATIC,
    apply_anyway: bool = False,
    preview_only: bool = False,
    now: dt.datetime,
) -> ImportRun:
    """Store ``stream`` and create its import run (RECEIVED), enqueued once committed.

    ``stream`` must be seekable: it is read once to hash it, then saved. Raises
    :class:`DepositRefused` for a wrong type or a file over the size limit (nothing is kept).
    """
    deposit_check_name(filename)
    digest, size = _hash(stream)
    deposit_check_size(size)
    with transaction.atomic():
        run = ImportRun(
            school_group=school_group,
            establishment=establishment,
            mode=mode,
            original_filename=filename,
            sha256=digest,
            size=size,
            deposited_by_id=deposited_by_id,
            apply_anyway=apply_anyway,
            preview_only=preview_only,
            received_at=now,
        )
        run.file.save(f"{now:%Y%m%d-%H%M%S}-{filename}", File(stream), save=False)
        run.save()
        _enqueue_on_commit(run)
    return run


def deposit_resubmit_anyway(*, run: ImportRun, user_id: int | None, now: dt.datetime) -> ImportRun:
    """Submit the exact bytes of a BLOCKED or PREVIEWED run again, to be applied.

    A new run is created (the first one stays in the history as it was), in the same mode
    and for the same target, confirmed despite the thresholds: the user has seen them. It
    queues like any other and recomputes everything against the ENT as it is then.
    """
    if run.status not in (ImportRun.Status.BLOCKED, ImportRun.Status.PREVIEWED):
        raise DepositRefused(
            f"L'import n° {run.pk} n'est ni bloqué par un seuil ni un aperçu : il ne peut pas "
            "être appliqué de nouveau.",
            code="not_blocked",
        )
    with run.file.open("rb") as stream:
        return deposit_receive(
            school_group=run.school_group,
            establishment=run.establishment,
            filename=run.original_filename,
            stream=stream,
            deposited_by_id=user_id,
            mode=run.mode,
            apply_anyway=True,
            now=now,
        )


def _hash(stream: IO[bytes]) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(_CHUNK):
        sha.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return sha.hexdigest(), size


def _enqueue_on_commit(run: ImportRun) -> None:
    run_id = run.pk
    # robust: a broker outage must not turn a committed deposit into an error (the client
    # would send it again); the periodic sweep enqueues RECEIVED runs left behind.
    transaction.on_commit(lambda: import_run_execute_task.delay(import_run_id=run_id), robust=True)
