"""Nothing a school group's import reads changes while one of its imports runs.

Threshold settings, relaxations and manual matches are read by a running import; the
services that change them enter :func:`no_import_running`, which takes the school group's
lock (the row the queue locks to claim a run) and refuses with :class:`ImportRunning` when
a run is in progress. Views, commands and tasks alike go through it; the views only render
the refusal's French message as their banner. Deposits are not refused: they queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from ent.models import SchoolGroup
from imports.models import ImportRun


class ImportRunning(Exception):
    """A change refused because an import of the school group runs; the message is French."""

    def __init__(self, run: ImportRun, what: str) -> None:
        super().__init__(
            f"Un import est en cours (import n° {run.pk}) : {what} ne peuvent pas être modifiés "
            "tant qu'il n'est pas terminé. Réessayez dans quelques instants."
        )
        self.run = run


@contextmanager
def no_import_running(*, school_group_id: int, what: str) -> Iterator[None]:
    """Run the block in a transaction during which no import of the group can start.

    ``what`` names what the block changes, in French ("les seuils"). Raises
    :class:`ImportRunning` when a run is in progress.
    """
    with transaction.atomic():
        SchoolGroup.objects.select_for_update().filter(pk=school_group_id).first()
        running = ImportRun.objects.filter(
            school_group_id=school_group_id, status=ImportRun.Status.RUNNING
        ).first()
        if running is not None:
            raise ImportRunning(running, what)
        yield
