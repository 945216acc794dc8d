"""The steps of one import run, from the stored file to the integrated timetable.

:func:`run_steps` is called by :func:`imports.services.pipeline.import_run_execute` on a
claimed run. Each step records its outcome through the pipeline's recorder; a step that ends
the run raises :class:`~imports.services.pipeline.StepStop` with the final status, its French
message and the action to take. Only the apply step writes the timetable, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings

from ent.models import ClosingPeriod, Establishment, SchoolYear
from imports.matching import (
    KindResult,
    MatchResult,
    match_students,
    match_teachers,
    match_units,
)
from imports.models import ImportRun, ImportStep
from imports.parsers import parse_deposit
from imports.parsers.context import parse_context_from_settings
from imports.planning import Plan, TimetableMatches, plan_build
from imports.selectors import (
    establishments_initialised,
    import_run_last_integrated,
    import_run_targets,
    school_year_current,
)
from imports.services.apply import Diff, plan_apply, plan_diff
from imports.services.directory import directory_snapshot
from imports.services.pipeline import (
    StepStop,
    counters_store,
    threshold_measures,
    thresholds_check,
    thresholds_evaluate,
)
from imports.services.preview import change_summary
from imports.thresholds import Evaluation, blocking_exceeded
from imports.timetable import Problem, Severity, Timetable, TimetableInvalid
from imports.validation import timetable_validate

if TYPE_CHECKING:
    from imports.services.pipeline import _Recorder

OK = ImportStep.Outcome.OK
WARNING = ImportStep.Outcome.WARNING
DETAILS_MAX = 200
PROBLEMS_MAX = 500
UNMATCHED_ENTRIES_MAX = 2000
ACTION_INITIALISE = (
    "Faites l'import manuel d'initialisation de l'année scolaire (assistant d'initialisation "
    "des données de vie scolaire) ; les dépôts automatiques seront ensuite intégrés."
)


@dataclass(frozen=True, slots=True)
class _Target:
    establishments: list[Establishment]
    school_year: SchoolYear | None
    effective_at: dt.datetime
    tz: ZoneInfo

    @property
    def ids(self) -> list[int]:
        return [e.pk for e in self.establishments]


def run_steps(*, run: ImportRun, recorder: _Recorder) -> str:
    """Run every step of ``run``; return its final status. Raises ``StepStop`` to end early."""
    # A retried run (requeued after a dead worker) reports afresh.
    run.bilan, run.counters = {}, {}
    target = _target(run)
    timetable = _step_validate(run, recorder, target)
    _step_duplicate(run, recorder)
    _step_school_year(run, recorder, target)
    matches = _step_match(run, recorder, target, timetable)
    plan = _step_plan(run, recorder, target, timetable, matches)
    recorder.beat("seuils")
    diff = plan_diff(plan)
    run.bilan["changes"] = change_summary(plan, diff)  # the preview, even if blocked below
    measures = threshold_measures(matches[0], diff, len(plan.coherence_violations))
    evaluations = thresholds_evaluate(run=run, measures=measures)
    if run.preview_only:
        return _step_preview(run, recorder, diff, evaluations, target)
    thresholds_check(run=run, recorder=recorder, evaluations=evaluations)
    recorder.beat("application")
    counters = plan_apply(plan, diff)
    counters["sessions_before_effective"] = plan.sessions_before_effective
    counters_store(run, counters)
    _record_applied(recorder, counters, target)
    return ImportRun.Status.INTEGRATED


def _target(run: ImportRun) -> _Target:
    tz = ZoneInfo(settings.TIME_ZONE)
    effective_at = run.effective_at or run.started_at or run.received_at
    run.effective_at = effective_at
    today = effective_at.astimezone(tz).date()
    return _Target(
        establishments=import_run_targets(run),
        school_year=school_year_current(run.school_group, today=today),
        effective_at=effective_at,
        tz=tz,
    )


# Validate and parse ---------------------------------------------------------------------


def _step_validate(run: ImportRun, recorder: _Recorder, target: _Target) -> Timetable:
    recorder.beat("validation")
    if not target.establishments:
        raise StepStop(
            status=ImportRun.Status.REJECTED,
            step="validation",
            message="La cité scolaire visée n'a aucun établissement : le fichier ne peut être "
            "rattaché à aucun.",
            action="Demandez à l'administrateur de l'ENT de rattacher les établissements à la "
            "cité scolaire, puis relancez l'export.",
        )
    timetable = _parse(run)
    run.source_format = timetable.source_format.value
    problems = [*timetable.warnings]
    problems += timetable_validate(
        timetable,
        target_uais=[e.uai for e in target.establishments],
        school_year=target.school_year,
    )
    errors = [p for p in problems if p.severity == Severity.ERROR]
    warnings = [p for p in problems if p.severity != Severity.ERROR]
    run.bilan["problems"] = [_problem_dict(p) for p in errors + warnings][:PROBLEMS_MAX]
    run.bilan["problems_total"] = len(problems)
    if errors:
        raise StepStop(
            status=ImportRun.Status.REJECTED,
            step="validation",
            message=f"Le fichier n'est pas importable : {len(errors)} erreur(s).",
            action=_actions(errors),
            details=[_problem_line(p) for p in errors + warnings][:DETAILS_MAX],
        )
    summary = (
        f"Fichier {_format_label(timetable)} valide : "
        f"{len(timetable.courses)} cours, {len(timetable.teachers)} enseignants, "
        f"{len(timetable.students)} élèves, {len(timetable.classes)} classes, "
        f"{len(timetable.groups)} groupes."
    )
    if warnings:
        recorder.record(
            "validation",
            WARNING,
            f"{summary} {len(warnings)} avertissement(s).",
            action=_actions(warnings),
            details=[_problem_line(p) for p in warnings][:DETAILS_MAX],
        )
    else:
        recorder.record("validation", OK, summary)
    return timetable


def _parse(run: ImportRun) -> Timetable:
    suffix = Path(run.original_filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="ent-import-") as folder:
        path = Path(folder) / f"depot{suffix}"
        with run.file.open("rb") as source, path.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        try:
            return parse_deposit(
                path, filename=run.original_filename, context=parse_context_from_settings()
            )
        except TimetableInvalid as invalid:
            run.bilan["problems"] = [_problem_dict(p) for p in invalid.problems][:PROBLEMS_MAX]
            run.bilan["problems_total"] = len(invalid.problems)
            raise StepStop(
                status=ImportRun.Status.REJECTED,
                step="validation",
                message=f"Le fichier « {run.original_filename} » n'est pas importable : "
                + "; ".join(p.message for p in invalid.problems[:3]),
                action=_actions(invalid.problems),
                details=[_problem_line(p) for p in invalid.problems][:DETAILS_MAX],
            ) from invalid


def _format_label(timetable: Timetable) -> str:
    """The format as users know it ("EDT / PRONOTE", "UnDeuxTEMPS"), with the software."""
    label = ImportRun.SourceFormat(timetable.source_format.value).label
    software = timetable.software.strip()
    return f"{label} ({software})" if software and software.upper() not in label.upper() else label


def _problem_dict(problem: Problem) -> dict[str, str]:
    return {
        "code": problem.code,
        "severity": problem.severity.value,
        "message": problem.message,
        "action": problem.action,
        "ref": problem.ref,
        "detail": problem.detail,
    }


def _problem_line(problem: Problem) -> str:
    flag = "Erreur" if problem.severity == Severity.ERROR else "Avertissement"
    ref = f" [{problem.ref}]" if problem.ref else ""
    action = f" → {problem.action}" if problem.action else ""
    return f"{flag}{ref} : {problem.message}{action}"


def _actions(problems: list[Problem]) -> str:
    seen: list[str] = []
    for problem in problems:
        if problem.action and problem.action not in seen:
            seen.append(problem.action)
    return " ".join(seen[:3])


# Duplicate and school-year rule ---------------------------------------------------------


def _step_duplicate(run: ImportRun, recorder: _Recorder) -> None:
    if run.mode != ImportRun.Mode.AUTOMATIC:
        return
    last = import_run_last_integrated(
        school_group=run.school_group, establishment_id=run.establishment_id, exclude_pk=run.pk
    )
    if last is not None and last.sha256 == run.sha256:
        raise StepStop(
            status=ImportRun.Status.DUPLICATE,
            step="doublon",
            message=f"Ce fichier est identique, octet pour octet, au dernier fichier intégré "
            f"(import n° {last.pk}) : l'emploi du temps est déjà à jour.",
            action="Aucune action : l'emploi du temps de l'ENT correspond déjà à ce fichier.",
        )


def _step_school_year(run: ImportRun, recorder: _Recorder, target: _Target) -> None:
    if run.mode != ImportRun.Mode.AUTOMATIC:
        return
    today = target.effective_at.astimezone(target.tz).date()
    initialised = establishments_initialised(run.school_group, today=today)
    missing = [e for e in target.establishments if e.pk not in initialised]
    if missing:
        year = target.school_year.label if target.school_year else ""
        raise StepStop(
            status=ImportRun.Status.WAITING_INITIALISATION,
            step="initialisation",
            message=f"Un import manuel d'initialisation de l'année scolaire {year} est "
            "nécessaire avant tout import automatisé pour : "
            + ", ".join(f"{e.name} ({e.uai})" for e in missing)
            + ". Le fichier déposé est conservé mais n'a pas été intégré.",
            action=ACTION_INITIALISE,
        )


# Match ----------------------------------------------------------------------------------


def _step_match(
    run: ImportRun, recorder: _Recorder, target: _Target, timetable: Timetable
) -> tuple[MatchResult, TimetableMatches]:
    recorder.beat("rapprochement")
    directory = directory_snapshot(
        school_group_id=run.school_group_id, establishment_ids=target.ids
    )
    teachers = match_teachers(
        timetable.teachers.values(),
        directory,
        {t.ident: (t.idpn, t.sts_id) for t in timetable.teachers.values()},
    )
    students = match_students(
        timetable.students.values(),
        directory,
        {s.ident: (s.ine, s.siecle_id) for s in timetable.students.values()},
    )
    classes = match_units(
        [(c.ident, c.name) for c in timetable.classes.values()],
        directory.classes,
        directory.manual.get("CLASS", {}),
    )
    groups = match_units(
        [(g.ident, g.name) for g in timetable.groups.values()],
        directory.groups,
        directory.manual.get("GROUP", {}),
    )
    # Class parts are found among the directory's groups by name; the others become groups.
    parts = match_units(
        [(p, timetable.part_name(p)) for p in timetable.parts],
        directory.groups,
        directory.manual.get("GROUP", {}),
    )
    result = MatchResult(teachers=teachers, students=students, classes=classes, groups=groups)
    class_units = {u.id: u for u in directory.classes}
    group_units = {u.id: u for u in directory.groups}
    matches = TimetableMatches(
        teachers=teachers.matched,
        students=students.matched,
        classes={i: class_units[pk] for i, pk in classes.matched.items()},
        groups={i: group_units[pk] for i, pk in groups.matched.items()},
        parts={i: group_units[pk] for i, pk in parts.matched.items()},
    )
    _record_match(run, recorder, result)
    _record_unmatched_entries(run, result, parts)
    return result, matches


def _record_unmatched_entries(run: ImportRun, result: MatchResult, parts: KindResult) -> None:
    """Store what the manual matching page needs: each entry's kind, key, label and candidates.

    Class parts are matched among the directory's groups, so they are GROUP entries. The list
    is capped at UNMATCHED_ENTRIES_MAX so that a file matching nothing keeps a small bilan.
    """
    entries: dict[tuple[str, str], dict[str, object]] = {}
    for kind, kind_result in (
        ("TEACHER", result.teachers),
        ("STUDENT", result.students),
        ("CLASS", result.classes),
        ("GROUP", result.groups),
        ("GROUP", parts),
    ):
        for entry in kind_result.entries:
            entries.setdefault(
                (kind, entry.source_key),
                {
                    "kind": kind,
                    "source_key": entry.source_key,
                    "label": entry.label,
                    "birth_date": entry.birth_date.isoformat() if entry.birth_date else None,
                    "candidates": list(entry.candidates),
                },
            )
    run.bilan["unmatched_entries"] = list(entries.values())[:UNMATCHED_ENTRIES_MAX]
    run.bilan["unmatched_entries_total"] = len(entries)


def _record_match(run: ImportRun, recorder: _Recorder, result: MatchResult) -> None:
    kinds = {
        "teachers": result.teachers,
        "students": result.students,
        "classes": result.classes,
        "groups": result.groups,
    }
    unmatched = {key: sorted(kind.unmatched) for key, kind in kinds.items()}
    unmatched["ambiguous"] = sorted(a for kind in kinds.values() for a in kind.ambiguous)
    run.bilan["unmatched"] = unmatched
    summary = "Rapprochement : " + ", ".join(
        f"{len(kind.matched)}/{kind.total} {label}" for label, kind in _labelled(result)
    )
    missing = sum(kind.unmatched_count for _label, kind in _labelled(result))
    if missing:
        recorder.record(
            "rapprochement",
            WARNING,
            f"{summary}. {missing} élément(s) non rapproché(s) : les groupes absents de "
            "l'annuaire sont créés ; les séances des enseignants et classes non rapprochés sont "
            "créées sans eux, et les élèves non rapprochés ne sont inscrits dans aucun groupe.",
            action="Vérifiez l'annuaire de l'ENT (import AAF) ou rapprochez ces éléments à la "
            "main (bouton « Rapprocher à la main » de la page de l'import) ; les rapprochements "
            "manuels sont conservés et servent dès le prochain import.",
            details=[
                f"{UNMATCHED_ITEM[label]} : {item}"
                for label, kind in _labelled(result)
                for item in kind.unmatched
            ][:DETAILS_MAX],
        )
    else:
        recorder.record("rapprochement", OK, f"{summary}.")


UNMATCHED_ITEM = {
    "enseignants": "Enseignant non rapproché",
    "élèves": "Élève non rapproché",
    "classes": "Classe non rapprochée",
    "groupes": "Groupe non rapproché (créé par l'import)",
}


def _labelled(result: MatchResult) -> list[tuple[str, KindResult]]:
    return [
        ("enseignants", result.teachers),
        ("élèves", result.students),
        ("classes", result.classes),
        ("groupes", result.groups),
    ]


# Plan -----------------------------------------------------------------------------------


def _step_plan(
    run: ImportRun,
    recorder: _Recorder,
    target: _Target,
    timetable: Timetable,
    matches: tuple[MatchResult, TimetableMatches],
) -> Plan:
    recorder.beat("séances")
    # The validation step stopped runs without a current school year.
    end_date = target.school_year.end_date if target.school_year else target.effective_at.date()
    establishments = sorted(target.establishments, key=lambda e: e.pk)
    window_end = dt.datetime.combine(end_date, dt.time(0), tzinfo=target.tz)
    plan = plan_build(
        timetable,
        matches[1],
        establishments=[(e.pk, e.uai) for e in establishments],
        effective_at=target.effective_at,
        window_end=window_end,
        tz=target.tz,
        ent_closings=ClosingPeriod.objects.filter(
            establishment_id__in=target.ids, source=ClosingPeriod.Source.MANUAL
        ).values_list("establishment_id", "start_date", "end_date"),
    )
    run.bilan["coherence"] = plan.coherence_violations[:DETAILS_MAX]
    run.bilan["coherence_total"] = len(plan.coherence_violations)
    return plan


def _step_preview(
    run: ImportRun,
    recorder: _Recorder,
    diff: Diff,
    evaluations: list[Evaluation],
    target: _Target,
) -> str:
    """Stop a preview-only run before anything is written, saying what applying would do."""
    run.bilan["thresholds"] = [e.as_dict() for e in evaluations]
    blocking = blocking_exceeded(evaluations)
    since = target.effective_at.astimezone(target.tz)
    recorder.record(
        "aperçu",
        WARNING if blocking else OK,
        "Aperçu : rien n'a été appliqué. Appliqué maintenant, cet import créerait "
        f"{len(diff.sessions_new)} séance(s), en modifierait {len(diff.sessions_changed)} et en "
        f"supprimerait {len(diff.sessions_deleted)} à partir du {since:%d/%m/%Y à %H:%M} ; "
        f"services d'enseignement : {diff.services_created} créé(s), "
        f"{diff.services_modified} modifié(s), {diff.services_deleted} supprimé(s)."
        + (f" {len(blocking)} seuil(s) bloquant(s) dépassé(s)." if blocking else ""),
        action="Vérifiez les seuils, les changements et les éléments non rapprochés "
        "(rapprochez-les à la main si besoin), puis cliquez sur « Confirmer et appliquer ».",
    )
    return ImportRun.Status.PREVIEWED


def _record_applied(recorder: _Recorder, counters: dict[str, int], target: _Target) -> None:
    recorder.record(
        "groupes",
        OK,
        f"{counters['groups_created']} groupe(s) créé(s), {counters['memberships_created']} "
        f"inscription(s) ajoutée(s), {counters['memberships_removed']} retirée(s).",
    )
    since = target.effective_at.astimezone(target.tz)
    recorder.record(
        "séances",
        OK,
        f"Séances générées à partir du {since:%d/%m/%Y à %H:%M} : "
        f"{counters['sessions_created']} créée(s), {counters['sessions_updated']} modifiée(s), "
        f"{counters['sessions_deleted']} supprimée(s), {counters['sessions_unchanged']} "
        "inchangée(s). Les séances passées et celles saisies à la main ne sont pas touchées.",
    )
