"""Importing a timetable file in-process (the ``import_timetable`` command, manual imports)."""

from __future__ import annotations

from pathlib import Path

from ent.clock import Clock
from ent.models import Establishment, SchoolGroup
from imports.models import ImportRun
from imports.report import report_of
from imports.services.deposits import deposit_receive
from imports.services.queue import import_queue_process


class ImportTargetUnknown(ValueError):
    """No establishment or school group matches what was asked; the message is in French."""


def import_target_resolve(
    *, uai: str | None, school_group_id: int | None
) -> tuple[SchoolGroup, Establishment | None]:
    """Return the school group and establishment (None: all of them) an import targets.

    Raises :class:`ImportTargetUnknown` when the UAI or the school group does not exist.
    """
    if uai:
        establishment = (
            Establishment.objects.select_related("school_group").filter(uai=uai.upper()).first()
        )
        if establishment is None:
            raise ImportTargetUnknown(f"Aucun établissement n'a l'UAI « {uai} ».")
        return establishment.school_group, establishment
    if school_group_id is None:
        raise ImportTargetUnknown(
            "Indiquez l'UAI d'un établissement ou l'identifiant d'une cité scolaire."
        )
    school_group = SchoolGroup.objects.filter(pk=school_group_id).first()
    if school_group is None:
        raise ImportTargetUnknown(f"Aucune cité scolaire n'a l'identifiant {school_group_id}.")
    return school_group, None


def import_file_submit(
    *,
    path: Path,
    school_group: SchoolGroup,
    establishment: Establishment | None,
    mode: str,
    apply_anyway: bool,
    deposited_by_id: int | None,
    clock: Clock,
) -> ImportRun:
    """Store the file at ``path`` as a run, execute the school group's queue, return the run.

    The run waits behind any run of the school group already queued; when another process
    holds the queue, it is returned still waiting. Raises
    :class:`~imports.services.deposits.DepositRefused` for a wrong type or size.
    """
    with path.open("rb") as stream:
        run = deposit_receive(
            school_group=school_group,
            establishment=establishment,
            filename=path.name,
            stream=stream,
            deposited_by_id=deposited_by_id,
            mode=mode,
            apply_anyway=apply_anyway,
            now=clock(),
        )
    import_queue_process(school_group_id=school_group.pk, clock=clock)
    run.refresh_from_db()
    return run


def import_run_summary(run: ImportRun) -> dict[str, object]:
    """Return a run's id, status, counters and final messages, ready for JSON."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "mode": run.mode,
        "source_format": run.source_format,
        "effective_at": run.effective_at.isoformat() if run.effective_at else None,
        "counters": run.counters,
        "thresholds_exceeded": [t.label for t in report_of(run).thresholds_exceeded],
        "steps": [
            {
                "name": step.name,
                "outcome": step.outcome,
                "message": step.message,
                "action": step.action,
            }
            for step in run.steps.all()
        ],
    }
