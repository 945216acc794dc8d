"""The import runner: one claimed run through its named steps, recorded, to a final status.

:func:`import_run_execute` runs the steps of :mod:`imports.services.steps` in order
(:func:`_run_steps` reads as the pipeline: validate → duplicate → school year → match →
plan → diff → thresholds → apply or preview). Each step returns its value and a note; the
runner records the note as an :class:`ImportStep` and the values in the run's report
(:mod:`imports.report`). Permanent problems (an invalid file, a blocking threshold) end the
run with their status; transient database errors send it back to the queue; anything else
ends it as FAILED with the error logged. Claiming runs and the sweep are
:mod:`imports.services.queue`'s.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterator

from django.db import InterfaceError, OperationalError, transaction

from accounts import notifications
from ent.clock import Clock
from imports.bilan import bilan_notice, bilan_render_text
from imports.models import ImportRun, ImportStep
from imports.report import ReportedProblem, RunReport, report_of, report_store
from imports.services import steps
from imports.services.apply import APPLY_COUNTERS, plan_apply, plan_diff
from imports.services.preview import run_changes_record
from imports.services.steps import PROBLEMS_MAX, StepNote, StepStop
from imports.services.unchanged import state_digest_after_apply
from imports.thresholds import thresholds_assess
from imports.timetable import Problem
from imports.validation import group_name_problems

logger = logging.getLogger(__name__)
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class _Recorder:
    def __init__(self, run: ImportRun, clock: Clock) -> None:
        self.run = run
        self.clock = clock
        # A retried run starts its report afresh.
        run.steps.all().delete()
        self.position = 0

    def record(self, note: StepNote) -> None:
        self.position += 1
        ImportStep.objects.create(
            run=self.run,
            position=self.position,
            name=note.name,
            outcome=note.outcome,
            message=note.message,
            action=note.action,
            details=list(note.details),
        )

    def beat(self, step: str) -> None:
        """Record the current step and prove the worker is alive (see the sweep)."""
        self.run.current_step = step
        ImportRun.objects.filter(pk=self.run.pk).update(
            current_step=step, heartbeat_at=self.clock()
        )


def import_run_execute(*, run: ImportRun, clock: Clock) -> bool:
    """Execute one claimed run; return False when it went back to the queue."""
    recorder = _Recorder(run, clock)
    # A retried run (requeued after a dead worker) reports afresh.
    report = RunReport()
    run.counters = {}
    run.effective_at = run.started_at
    try:
        with _collector_paused():
            run.status = _run_steps(run, recorder, report)
    except StepStop as stop:
        if stop.problems is not None:
            _report_problems(report, stop.problems)
        recorder.record(
            StepNote(
                stop.step,
                ImportStep.Outcome.INTERRUPTED,
                stop.message,
                action=stop.action,
                details=stop.details,
            )
        )
        run.status = stop.status
    except TRANSIENT_ERRORS:
        logger.exception("Import run %s: transient database error", run.pk)
        if run.attempts < ImportRun.MAX_ATTEMPTS:
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
    _finish(run, report, clock)
    return True


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the run builds its model.

    Parsing and planning allocate hundreds of thousands of small objects (an xl timetable:
    55,000 sessions), which set off full collections that scan everything alive for
    nothing: the run's objects hold no reference cycles to free, and reference counting
    frees them as usual. Paused, the run's CPU time drops by about a quarter; the collector
    resumes as soon as the run ends, whatever the outcome.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_steps(run: ImportRun, recorder: _Recorder, report: RunReport) -> str:
    """Run the steps in order; return the final status. A step raises ``StepStop`` to end."""
    target = steps.step_target(run)
    run.effective_at = target.effective_at
    recorder.beat("validation")
    # One local copy of the file (and one decryption) serves the fingerprint and the parse.
    with steps.run_file(run) as deposit:
        run.content_fingerprint = steps.step_fingerprint(deposit)
        state = steps.step_state_digest(run, target)
        digest = state.value if state is not None else None
        unchanged = steps.step_unchanged(run, target, digest)
        if unchanged is not None:
            steps.step_school_year(run, target)
            return _run_unchanged(run, recorder, report, unchanged, target)
        timetable = steps.step_parse(run, target, deposit)
    run.source_format = timetable.source_format
    validated = steps.step_validate(timetable, target)
    _report_problems(report, validated.problems)
    recorder.record(validated.note)
    steps.step_duplicate(run)
    steps.step_school_year(run, target)

    recorder.beat("rapprochement")
    reference = steps.step_reference(run, target, digest)
    matched = steps.step_match(run, target, timetable, reference)
    recorder.record(matched.note)
    report.unmatched = matched.unmatched
    # STS-Web name rules matter only for the groups that found no match.
    unmatched_groups = set(timetable.groups) - set(matched.result.groups.matched)
    if unmatched_groups:
        names = group_name_problems(timetable, unmatched=unmatched_groups)
        _report_problems(report, validated.problems + names)
    report.unmatched_entries = matched.entries
    report.unmatched_entries_total = matched.entries_total

    recorder.beat("séances")
    plan = steps.step_plan(target, timetable, matched, reference)
    report.coherence = plan.coherence_violations[: steps.DETAILS_MAX]
    report.coherence_total = len(plan.coherence_violations)

    recorder.beat("seuils")
    diff = plan_diff(plan)
    # The preview of the changes, even if the thresholds block the run below.
    report.changes_by_audience, report.changes_by_teacher = steps.step_changes(plan, diff)
    # The change list (what was applied, or would be): stored for previews and blocked runs
    # too, replacing an earlier attempt's; sessions with content are kept or moved.
    report.content_kept = run_changes_record(run, plan, diff)
    report.content_moved = len(diff.content_moves)
    assessment = thresholds_assess(
        school_group_id=run.school_group_id,
        at=run.effective_at,
        match=matched.result,
        diff=diff,
        coherence=len(plan.coherence_violations),
        subject_labels=plan.subjects,
        establishments={e.pk: e.name for e in target.establishments},
    )
    report.thresholds = assessment.evaluations
    if run.preview_only:
        recorder.record(steps.step_preview(diff, assessment, target))
        return ImportRun.Status.PREVIEWED
    recorder.record(steps.step_thresholds(run, assessment))

    recorder.beat("application")
    counters = plan_apply(plan, diff)
    counters["sessions_before_effective"] = plan.sessions_before_effective
    run.counters = counters
    steps.step_matching_store(run, matched)
    # What the next export of the same timetable is compared with (steps.step_unchanged):
    # the parts of the state that the apply wrote are digested again.
    run.state_digest = state_digest_after_apply(
        state,
        counters,
        school_group_id=run.school_group_id,
        establishment_ids=target.ids,
        school_year=target.year_bounds,
    )
    for note in steps.step_applied_notes(counters, target):
        recorder.record(note)
    return ImportRun.Status.INTEGRATED


def _run_unchanged(
    run: ImportRun,
    recorder: _Recorder,
    report: RunReport,
    unchanged: steps.Unchanged,
    target: steps.Target,
) -> str:
    """End a run that repeats its reference: nothing to write, reported like a full run."""
    run.source_format = unchanged.reference.source_format
    run.state_digest = unchanged.digest
    steady = unchanged.report
    report.problems, report.problems_total = steady.problems, steady.problems_total
    report.unmatched = steady.unmatched
    report.unmatched_entries = steady.unmatched_entries
    report.unmatched_entries_total = steady.unmatched_entries_total
    report.thresholds = unchanged.assessment.evaluations
    recorder.record(unchanged.note)
    recorder.record(steps.step_thresholds(run, unchanged.assessment))
    counters = dict.fromkeys(APPLY_COUNTERS, 0)
    counters["sessions_unchanged"] = unchanged.sessions
    run.counters = counters
    steps.step_matching_copy(run, unchanged.reference)
    for note in steps.step_applied_notes(counters, target):
        recorder.record(note)
    return ImportRun.Status.INTEGRATED


def _report_problems(report: RunReport, problems: list[Problem]) -> None:
    report.problems = [ReportedProblem.of(p) for p in problems[:PROBLEMS_MAX]]
    report.problems_total = len(problems)


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
    _finish(run, report_of(run), clock)


def _record_failure(recorder: _Recorder) -> None:
    recorder.record(
        StepNote(
            recorder.run.current_step or "traitement",
            ImportStep.Outcome.INTERRUPTED,
            "Erreur interne pendant le traitement : l'emploi du temps précédent est conservé "
            "tel quel et le fichier déposé est gardé.",
            action="Relancez l'import plus tard ; si le problème persiste, contactez "
            f"l'assistance de l'ENT en indiquant l'import n° {recorder.run.pk}.",
        )
    )


def _finish(run: ImportRun, report: RunReport, clock: Clock) -> None:
    run.finished_at = clock()
    run.current_step = ""
    report.text = ""
    report_store(run, report)
    run.save()
    # The text lists the steps, so it is rendered once they are all saved.
    report.text = bilan_render_text(run, report)
    report_store(run, report)
    ImportRun.objects.filter(pk=run.pk).update(bilan=run.bilan)
    transaction.on_commit(lambda: _notify_safely(run, clock))


def _notify_safely(run: ImportRun, clock: Clock) -> None:
    # The run is final and saved: a failed notification must not stop the queue behind it.
    try:
        link = notifications.absolute_url("imports:run_detail", run.school_group_id, run.pk)
        notice = bilan_notice(run, link=link)
        if notice is not None:
            notifications.import_problem_notify(notice=notice, now=clock())
    except Exception:
        logger.exception("Notice of import run %s not sent", run.pk)
