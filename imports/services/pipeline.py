"""The import pipeline: validate → parse → match → diff → thresholds → apply → bilan.

:func:`import_queue_process` is what the Celery task calls: it claims the school group's
runs one at a time (:mod:`imports.services.queue`) and executes each. Every step is recorded
(:class:`ImportStep`) with its outcome, a French message and, when it stops the run, the action
the user should take. Permanent problems (an invalid file, a blocking threshold) end the run
with their status; transient database errors send it back to the queue; anything else ends
it as FAILED with the error logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, transaction

from ent.formatting import format_moment, format_percent
from imports.bilan import bilan_render_text, bilan_subject
from imports.matching import MatchResult
from imports.models import ImportRun, ImportStep
from imports.services.apply import Diff, plan_apply, plan_diff
from imports.services.queue import MAX_ATTEMPTS, import_queue_claim_next
from imports.thresholds import Control, Evaluation, Measure, blocking_exceeded, evaluate

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@dataclass
class StepStop(Exception):
    """Stop the run with ``status``; the step is recorded as interrupted."""

    status: str
    step: str
    message: str
    action: str = ""
    details: list[str] = field(default_factory=list)


class _Recorder:
    def __init__(self, run: ImportRun, clock: Clock) -> None:
        self.run = run
        self.clock = clock
        # A retried run starts its report afresh.
        run.steps.all().delete()
        self.position = 0

    def record(
        self,
        name: str,
        outcome: str,
        message: str,
        *,
        action: str = "",
        details: Iterable[str] = (),
    ) -> None:
        self.position += 1
        ImportStep.objects.create(
            run=self.run,
            position=self.position,
            name=name,
            outcome=outcome,
            message=message,
            action=action,
            details=list(details),
        )

    def beat(self, step: str) -> None:
        """Record the current step and prove the worker is alive (see the sweep)."""
        self.run.current_step = step
        ImportRun.objects.filter(pk=self.run.pk).update(
            current_step=step, heartbeat_at=self.clock()
        )


def import_queue_process(*, school_group_id: int, clock: Clock) -> None:
    """Execute the school group's waiting runs, one at a time, until none is left."""
    while True:
        run = import_queue_claim_next(school_group_id=school_group_id, now=clock())
        if run is None:
            return
        if not import_run_execute(run=run, clock=clock):
            return  # a transient error: the sweep will bring the run back later


def import_run_execute(*, run: ImportRun, clock: Clock) -> bool:
    """Execute one claimed run; return False when it went back to the queue."""
    recorder = _Recorder(run, clock)
    run.effective_at = run.started_at
    try:
        from imports.services.steps import run_steps

        run.status = run_steps(run=run, recorder=recorder)
    except StepStop as stop:
        recorder.record(
            stop.step,
            ImportStep.Outcome.INTERRUPTED,
            stop.message,
            action=stop.action,
            details=stop.details,
        )
        run.status = stop.status
    except TRANSIENT_ERRORS:
        logger.exception("Import run %s: transient database error", run.pk)
        if run.attempts < MAX_ATTEMPTS:
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportRun.Status.RECEIVED, current_step=""
            )
            return False
        run.status = ImportRun.Status.FAILED
        _record_failure(recorder)
    except Exception:
        logger.exception("Import run %s failed", run.pk)
        run.status = ImportRun.Status.FAILED
        _record_failure(recorder)
    _finish(run, clock)
    return True


def import_run_abandon(*, run: ImportRun, clock: Clock) -> None:
    """End a run whose worker died on each of its attempts: FAILED, explained, notified.

    Called by the sweep; whatever the dead workers wrote was rolled back with them.
    """
    ImportStep.objects.create(
        run=run,
        position=run.steps.count() + 1,
        name=run.current_step or "traitement",
        outcome=ImportStep.Outcome.INTERRUPTED,
        message=(
            f"Le traitement a été interrompu {run.attempts} fois (arrêt du serveur de "
            "traitement pendant l'import) : l'emploi du temps précédent est conservé tel quel "
            "et le fichier déposé est gardé."
        ),
        action="Relancez l'import plus tard (import manuel ou nouveau dépôt) ; si le problème "
        f"persiste, contactez l'assistance de l'ENT en indiquant l'import n° {run.pk}.",
    )
    run.status = ImportRun.Status.FAILED
    _finish(run, clock)


def _record_failure(recorder: _Recorder) -> None:
    recorder.record(
        recorder.run.current_step or "traitement",
        ImportStep.Outcome.INTERRUPTED,
        "Erreur interne pendant le traitement : l'emploi du temps précédent est conservé tel "
        "quel et le fichier déposé est gardé.",
        action="Relancez l'import plus tard ; si le problème persiste, contactez l'assistance "
        f"de l'ENT en indiquant l'import n° {recorder.run.pk}.",
    )


def _finish(run: ImportRun, clock: Clock) -> None:
    run.finished_at = clock()
    run.current_step = ""
    run.bilan = {**run.bilan, "text": ""}
    run.save()
    run.bilan["text"] = bilan_render_text(run)
    ImportRun.objects.filter(pk=run.pk).update(bilan=run.bilan)
    transaction.on_commit(lambda: _notify_safely(run, clock))


def _notify_safely(run: ImportRun, clock: Clock) -> None:
    # The run is final and saved: a failed notification must not stop the queue behind it.
    try:
        _notify(run, clock)
    except Exception:
        logger.exception("Bilan of import run %s not sent", run.pk)


def _notify(run: ImportRun, clock: Clock) -> None:
    """Send the bilan to the depositors who asked for notifications."""
    from accounts.models import DepositorAccount
    from accounts.services import message_send

    if run.status == ImportRun.Status.PREVIEWED:
        return  # a preview is read on its page by whoever asked for it; nothing happened
    accounts = DepositorAccount.objects.filter(school_group_id=run.school_group_id, notify=True)
    if run.status == ImportRun.Status.INTEGRATED:
        # A success concerns the one who deposited; a problem, every declared depositor.
        accounts = accounts.filter(user_id=run.deposited_by_id)
    subject = bilan_subject(run)
    for account in accounts.select_related("user"):
        message_send(
            recipient=account.user,
            subject=subject,
            body=run.bilan["text"],
            now=clock(),
            link=f"/cites/{run.school_group_id}/imports/{run.pk}/",
        )
        if account.user.email:
            from django.core.mail import send_mail

            try:
                send_mail(subject, run.bilan["text"], None, [account.user.email])
            except OSError:
                logger.warning("Bilan of run %s not e-mailed to %s", run.pk, account.user_id)


def threshold_measures(match: MatchResult, diff: Diff, coherence: int) -> list[Measure]:
    """Return the measures of every control (see :mod:`imports.thresholds` for the rules)."""
    return [
        Measure(Control.SUBJECTS_CREATED, len(diff.subjects_new), diff.subjects_existing),
        Measure(Control.SERVICES_CREATED, diff.services_created, diff.services_existing),
        Measure(Control.SERVICES_MODIFIED, diff.services_modified, diff.services_existing),
        Measure(Control.SERVICES_DELETED, diff.services_deleted, diff.services_existing),
        Measure(
            Control.SESSIONS_DELTA,
            abs(diff.sessions_planned - diff.sessions_existing),
            diff.sessions_existing,
        ),
        Measure(Control.SESSIONS_INCOMPLETE, diff.sessions_new_incomplete, len(diff.sessions_new)),
        Measure(Control.CLOSINGS_ADDED, len(diff.closings_added), diff.closings_existing),
        Measure(Control.CLOSINGS_REMOVED, len(diff.closings_removed), diff.closings_existing),
        Measure(Control.TEACHERS_UNMATCHED, match.teachers.unmatched_count, match.teachers.total),
        Measure(Control.STUDENTS_UNMATCHED, match.students.unmatched_count, match.students.total),
        Measure(Control.CLASSES_UNMATCHED, match.classes.unmatched_count, match.classes.total),
        Measure(Control.GROUPS_UNMATCHED, match.groups.unmatched_count, match.groups.total),
        Measure(Control.CLOSING_COHERENCE, coherence, 0),
    ]


def thresholds_check(*, run: ImportRun, recorder: _Recorder, evaluations: list[Evaluation]) -> None:
    """Record the thresholds; stop the run as BLOCKED when a blocking one is exceeded."""
    run.bilan["thresholds"] = [e.as_dict() for e in evaluations]
    exceeded = [e for e in evaluations if e.exceeded]
    blocking = blocking_exceeded(evaluations)
    details = [
        f"{e.label} : "
        f"{format_percent(e.value) if e.setting is not None else e.value} "
        f"(seuil {format_percent(e.setting) if e.setting is not None else '—'}"
        f"{', bloquant' if e.blocking else ''})"
        for e in exceeded
    ] + [
        f"{e.label} : seuil assoupli ({format_percent(e.setting)}"  # type: ignore[arg-type]
        f"{', bloquant' if e.blocking else ', non bloquant'}) jusqu'au "
        f"{format_moment(e.relaxed_until)}"
        for e in evaluations
        if e.relaxed_until is not None
    ]
    if blocking and not run.apply_anyway:
        raise StepStop(
            status=ImportRun.Status.BLOCKED,
            step="seuils",
            message=f"{len(blocking)} seuil(s) bloquant(s) dépassé(s) : l'emploi du temps n'a "
            "pas été modifié.",
            action="Vérifiez le fichier dans votre logiciel d'emploi du temps. Si le changement "
            "est voulu, faites un import manuel et confirmez-le malgré les seuils, ou cliquez "
            "sur « Appliquer quand même » dans le détail de cet import.",
            details=details,
        )
    if exceeded:
        recorder.record(
            "seuils",
            ImportStep.Outcome.WARNING,
            f"{len(exceeded)} seuil(s) dépassé(s)"
            + (" ; import confirmé malgré les seuils." if blocking else " (non bloquants)."),
            details=details,
        )
    else:
        recorder.record("seuils", ImportStep.Outcome.OK, "Aucun seuil dépassé.", details=details)


def thresholds_evaluate(*, run: ImportRun, measures: list[Measure]) -> list[Evaluation]:
    """Evaluate ``measures`` with the school group's settings."""
    from imports.services.settings import threshold_settings_for

    at = run.effective_at or run.started_at
    return evaluate(measures, threshold_settings_for(school_group_id=run.school_group_id, at=at))


def counters_store(run: ImportRun, counters: dict[str, int]) -> None:
    run.counters = counters


__all__ = [
    "StepStop",
    "counters_store",
    "import_queue_process",
    "import_run_abandon",
    "import_run_execute",
    "plan_apply",
    "plan_diff",
    "threshold_measures",
    "thresholds_check",
    "thresholds_evaluate",
]
