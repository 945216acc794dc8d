"""The steps of one import run, from the stored file to the integrated timetable.

Each step is a function that reads what it needs and returns what it found: a value for the
next steps and a :class:`StepNote` (outcome, French message, action) that the runner
(:mod:`imports.services.pipeline`) records as the run's step. A step that ends the run raises
:class:`StepStop` with the final status, its French message and the action to take. Steps
write nothing but the timetable, in the apply step's one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from ent.models import ClosingPeriod, Establishment, SchoolYear
from imports.matching import (
    Directory,
    DirectoryUnit,
    KindResult,
    MatchResult,
    ambiguity_line,
    match_students,
    match_teachers,
    match_units,
)
from imports.models import ImportRun, ImportStep
from imports.parsers.base import ParseContext, ParseMemo
from imports.parsers.context import parse_context_from_settings
from imports.parsers.registry import content_fingerprint, format_label, parse_deposit
from imports.planning import Plan, TimetableMatches, plan_build
from imports.report import UNMATCHED_KINDS, ChangeRow, RunReport, UnmatchedEntry
from imports.selectors import (
    establishments_initialised,
    import_run_last_integrated,
    import_run_targets,
    school_year_current,
)
from imports.services.apply import Diff
from imports.services.directory import directory_snapshot
from imports.services.incremental import (
    incremental_reference,
    incremental_reusable,
    matching_dump,
    matching_inputs_digest,
    matching_kept,
    matching_load,
    matching_store,
    matching_stored,
)
from imports.services.preview import change_summary
from imports.services.unchanged import (
    StateDigest,
    state_digest_parts,
    unchanged_assessment,
    unchanged_reference,
    unchanged_report,
)
from imports.thresholds import Assessment
from imports.thresholds.definitions import Control
from imports.timetable import Problem, Severity, Timetable, TimetableInvalid
from imports.validation import timetable_validate

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
class StepNote:
    """What a step says about itself, recorded as one :class:`ImportStep` of the run."""

    name: str
    outcome: str
    message: str
    action: str = ""
    details: Sequence[str] = ()


@dataclass
class StepStop(Exception):
    """Stop the run with ``status``; the step is recorded as interrupted.

    ``problems``, when given, are the file's problems for the report (validation steps).
    """

    status: str
    step: str
    message: str
    action: str = ""
    details: list[str] = field(default_factory=list)
    problems: list[Problem] | None = None


@dataclass(frozen=True, slots=True)
class Target:
    establishments: list[Establishment]
    school_year: SchoolYear | None
    effective_at: dt.datetime
    tz: ZoneInfo

    @property
    def ids(self) -> list[int]:
        return [e.pk for e in self.establishments]

    @property
    def year_bounds(self) -> tuple[dt.date, dt.date] | None:
        """The school year in force for the run, declared or the national default."""
        year = self.school_year
        return (year.start_date, year.end_date) if year else None

    @property
    def window_end(self) -> dt.datetime:
        """The end of the sessions' window: the end of the school year (exclusive)."""
        # The validation step stopped runs without a current school year.
        end = self.school_year.end_date if self.school_year else self.effective_at.date()
        return dt.datetime.combine(end, dt.time(0), tzinfo=self.tz)


def step_target(run: ImportRun) -> Target:
    """Return what the run imports into: its establishments, school year and start time."""
    tz = ZoneInfo(settings.TIME_ZONE)
    effective_at = run.effective_at or run.started_at or run.received_at
    today = effective_at.astimezone(tz).date()
    return Target(
        establishments=import_run_targets(run),
        school_year=school_year_current(run.school_group, today=today),
        effective_at=effective_at,
        tz=tz,
    )


# Validate and parse ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Validated:
    problems: list[Problem]  # the warnings: errors stop the run
    note: StepNote


def step_parse(run: ImportRun, target: Target, deposit: RunFile) -> Timetable:
    """Parse the file; stop the run (REJECTED) when it cannot be read or has no target."""
    if not target.establishments:
        raise StepStop(
            status=ImportRun.Status.REJECTED,
            step="validation",
            message="La cité scolaire visée n'a aucun établissement : le fichier ne peut être "
            "rattaché à aucun.",
            action="Demandez à l'administrateur de l'ENT de rattacher les établissements à la "
            "cité scolaire, puis relancez l'export.",
        )
    return _parse(run, deposit)


def step_validate(timetable: Timetable, target: Target) -> Validated:
    """Check the parsed file; stop the run (REJECTED) when it cannot be imported."""
    problems = [*timetable.warnings]
    problems += timetable_validate(
        timetable,
        target_uais=[e.uai for e in target.establishments],
        school_year=target.school_year,
    )
    errors = [p for p in problems if p.severity == Severity.ERROR]
    warnings = [p for p in problems if p.severity != Severity.ERROR]
    if errors:
        raise StepStop(
            status=ImportRun.Status.REJECTED,
            step="validation",
            message=f"Le fichier n'est pas importable : {len(errors)} erreur(s), détaillée(s) "
            "dans « Problèmes relevés dans le fichier ».",
            action=_actions(errors),
            problems=errors + warnings,
        )
    summary = (
        f"Fichier {_format_label(timetable)} valide : "
        f"{len(timetable.courses)} cours, {len(timetable.teachers)} enseignants, "
        f"{len(timetable.students)} élèves, {len(timetable.classes)} classes, "
        f"{len(timetable.groups)} groupes."
    )
    if warnings:
        note = StepNote(
            "validation",
            WARNING,
            f"{summary} {len(warnings)} avertissement(s), détaillé(s) dans « Problèmes "
            "relevés dans le fichier ».",
            action=_actions(warnings),
        )
    else:
        note = StepNote("validation", OK, summary)
    return Validated(warnings, note)


@dataclass(frozen=True, slots=True)
class RunFile:
    """The run's file as the steps that read it share it.

    One local copy (the storage may be remote, e.g. S3) and one parse context whose memo
    hands what the fingerprint decrypted to the parse: an encrypted export is copied once
    and decrypted once per run.
    """

    path: Path
    context: ParseContext


@contextlib.contextmanager
def run_file(run: ImportRun) -> Iterator[RunFile]:
    """Yield the run's :class:`RunFile`; its copy and anything it kept go when the block ends."""
    memo = ParseMemo()
    with _local_copy(run) as path:
        try:
            yield RunFile(path=path, context=replace(parse_context_from_settings(), memo=memo))
        finally:
            memo.clear()


@contextlib.contextmanager
def _local_copy(run: ImportRun) -> Iterator[Path]:
    """Yield a temporary local copy of the run's file (storage may be remote, e.g. S3)."""
    suffix = Path(run.original_filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="ent-import-") as folder:
        path = Path(folder) / f"depot{suffix}"
        with run.file.open("rb") as source, path.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        yield path


def step_fingerprint(deposit: RunFile) -> str:
    """Return the fingerprint of the timetable in the run's file, without parsing it."""
    return content_fingerprint(deposit.path, context=deposit.context)


def _parse(run: ImportRun, deposit: RunFile) -> Timetable:
    try:
        return parse_deposit(deposit.path, filename=run.original_filename, context=deposit.context)
    except TimetableInvalid as invalid:
        raise StepStop(
            status=ImportRun.Status.REJECTED,
            step="validation",
            message=_rejection_message(run.original_filename, invalid.problems[:3]),
            action=_actions(invalid.problems),
            problems=list(invalid.problems),
        ) from invalid


def _rejection_message(filename: str, problems: Sequence[Problem]) -> str:
    """Say why the file is not importable, naming it once ("Le fichier « x » n'est ni…")."""
    named = f"« {filename} »"
    messages = [problem.message for problem in problems]
    if all(named in message for message in messages):
        return "; ".join(messages)
    # After a colon, French goes on in lower case ("importable : le fichier…", "l'ENT"),
    # acronyms such as "UAI" aside.
    return f"Le fichier {named} n'est pas importable : " + "; ".join(
        message[0].lower() + message[1:]
        if message[1:2].islower() or message[1:2] in ("'", "’")
        else message
        for message in messages
    )


def _format_label(timetable: Timetable) -> str:
    """The format as users know it ("EDT / PRONOTE", "UnDeuxTEMPS"), with the software."""
    label = format_label(timetable.source_format)
    software = timetable.software.strip()
    return f"{label} ({software})" if software and software.upper() not in label.upper() else label


def _actions(problems: list[Problem]) -> str:
    seen: list[str] = []
    for problem in problems:
        if problem.action and problem.action not in seen:
            seen.append(problem.action)
    return " ".join(seen[:3])


# Duplicate and school-year rule ---------------------------------------------------------


def step_duplicate(run: ImportRun) -> None:
    """Stop an automatic run whose file is the last integrated one (DUPLICATE)."""
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


def step_school_year(run: ImportRun, target: Target) -> None:
    """Stop an automatic run for an establishment not initialised this school year."""
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


# Unchanged timetable ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unchanged:
    """An automatic run that repeats ``reference``: see :mod:`imports.services.unchanged`."""

    reference: ImportRun
    report: RunReport
    assessment: Assessment
    digest: str
    note: StepNote
    sessions: int  # the generated sessions held in the window, all unchanged


def step_state_digest(run: ImportRun, target: Target) -> StateDigest | None:
    """Return the ENT's state digest for an automatic run applied as usual, else ``None``.

    What :func:`step_unchanged` and the incremental plan (:func:`step_plan`) compare with
    the last integrated run's.
    """
    if run.mode != ImportRun.Mode.AUTOMATIC or run.preview_only or run.apply_anyway:
        return None
    if target.school_year is None or not target.establishments:
        return None
    return state_digest_parts(
        school_group_id=run.school_group_id,
        establishment_ids=target.ids,
        school_year=target.year_bounds,
    )


def step_unchanged(run: ImportRun, target: Target, digest: str | None) -> Unchanged | None:
    """Recognise a new export of the timetable the last integrated run brought, or ``None``.

    Only for automatic runs applied as usual (``digest``: :func:`step_state_digest`); the
    caller has set ``run.content_fingerprint``.
    """
    if digest is None:
        return None
    reference = unchanged_reference(run, establishment_ids=target.ids, digest=digest)
    if reference is None:
        return None
    assessment = unchanged_assessment(
        reference=reference,
        school_group_id=run.school_group_id,
        establishment_ids=target.ids,
        at=target.effective_at,
        window_end=target.window_end,
    )
    if assessment.blocking:
        return None  # the whole pipeline reports it, with every detail
    report = unchanged_report(reference)
    finished = reference.finished_at.astimezone(target.tz) if reference.finished_at else None
    when = f" (intégré le {finished:%d/%m/%Y à %H:%M})" if finished else ""
    summary = (
        f"Contenu identique à celui de l'import n° {reference.pk}{when} : le fichier ne diffère "
        "que par ce qui ne touche pas l'emploi du temps (commentaires, date et chiffrement de "
        "l'export), et rien n'a changé depuis dans l'ENT (annuaire, rapprochements, périodes de "
        "fermeture, séances). Il n'a pas été analysé de nouveau : l'emploi du temps de l'ENT "
        "est déjà à jour."
    )
    if report.problems:
        note = StepNote(
            "validation",
            WARNING,
            f"{summary} Les {report.problems_total} avertissement(s) du fichier restent "
            "valables, détaillé(s) dans « Problèmes relevés dans le fichier ».",
            action=" ".join(list(dict.fromkeys(p.action for p in report.problems if p.action))[:3]),
        )
    else:
        note = StepNote("validation", OK, summary)
    sessions = next(
        (e.denominator for e in assessment.evaluations if e.control == Control.SESSIONS_DELTA), 0
    )
    return Unchanged(reference, report, assessment, digest, note, sessions)


# Match ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Matched:
    result: MatchResult
    matches: TimetableMatches
    unmatched: dict[str, list[str]]  # the report's lists, by kind
    entries: list[UnmatchedEntry]  # what the manual matching page offers, capped
    entries_total: int
    note: StepNote
    inputs_digest: str = ""  # what matching read from the file (matching_inputs_digest)
    reused_from: int | None = None  # the run whose match results were reused
    # The directory's classes and groups that matching found
    class_units: list[DirectoryUnit] = field(default_factory=list)
    group_units: list[DirectoryUnit] = field(default_factory=list)


def step_reference(run: ImportRun, target: Target, digest: str | None) -> int | None:
    """Return the run whose results matching and planning may reuse, or ``None``.

    See :mod:`imports.services.incremental`: nothing but the file changed since it.
    """
    return incremental_reference(run, effective_at=target.effective_at, digest=digest)


def step_match(
    run: ImportRun, target: Target, timetable: Timetable, reference: int | None = None
) -> Matched:
    """Match the file's people, classes and groups with the ENT's directory.

    When the directory is the one ``reference`` matched against (:func:`step_reference`)
    and the file's people, classes and groups are the same, its results are reused: matching
    is pure, it would find them again.
    """
    inputs = matching_inputs_digest(timetable) if matching_kept() else ""
    stored = matching_stored(reference, inputs) if reference is not None and inputs else None
    if stored is not None:
        result, class_units, group_units = matching_load(stored)
    else:
        result, directory = _match(run, target, timetable)
        class_units = {u.id: u for u in directory.classes}
        group_units = {u.id: u for u in directory.groups}
    matches = TimetableMatches(
        teachers=result.teachers.matched,
        students=result.students.matched,
        classes={i: class_units[pk] for i, pk in result.classes.matched.items()},
        groups={i: group_units[pk] for i, pk in result.groups.matched.items()},
        parts={i: group_units[pk] for i, pk in result.parts.matched.items()},
    )
    entries = _unmatched_entries(result)
    # Class and group ids come from two tables: kept apart.
    used_classes = {u.id: u for u in matches.classes.values()}
    used_groups = {u.id: u for u in (*matches.groups.values(), *matches.parts.values())}
    return Matched(
        result=result,
        matches=matches,
        unmatched=_unmatched(entries),
        entries=entries[:UNMATCHED_ENTRIES_MAX],
        entries_total=len(entries),
        note=_match_note(result),
        inputs_digest=inputs,
        reused_from=reference if stored is not None else None,
        class_units=sorted(used_classes.values(), key=lambda u: u.id),
        group_units=sorted(used_groups.values(), key=lambda u: u.id),
    )


def step_matching_store(run: ImportRun, matched: Matched) -> None:
    """Keep the run's match results for the next export (:func:`step_match`)."""
    if not matched.inputs_digest:
        return
    matching_store(
        run,
        inputs_digest=matched.inputs_digest,
        document=None
        if matched.reused_from is not None
        else matching_dump(matched.result, matched.class_units, matched.group_units),
        reused_from=matched.reused_from,
    )


def step_matching_copy(run: ImportRun, reference: ImportRun) -> None:
    """Keep, for a run that repeats ``reference`` (:func:`step_unchanged`), its match results.

    The same content against the same directory: matching would find them again.
    """
    if matching_kept():
        matching_store(run, inputs_digest="", document=None, reused_from=reference.pk)


def _match(run: ImportRun, target: Target, timetable: Timetable) -> tuple[MatchResult, Directory]:
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
    result = MatchResult(
        teachers=teachers, students=students, classes=classes, groups=groups, parts=parts
    )
    return result, directory


def _unmatched_entries(result: MatchResult) -> list[UnmatchedEntry]:
    """Return what the manual matching page lists, and the bilan too: each entity once.

    Class parts are matched among the directory's groups, so they are GROUP entries. The
    stored list is capped at UNMATCHED_ENTRIES_MAX so that a file matching nothing keeps a
    small bilan; the bilan's lists (:func:`_unmatched`) are made from the same entries.
    """
    return [
        UnmatchedEntry(
            kind=kind,
            source_key=entry.source_key,
            label=entry.label,
            birth_date=entry.birth_date,
            candidates=tuple(entry.candidates),
        )
        for kind, kind_result in result.by_kind()
        for entry in kind_result.entries
    ]


_UNMATCHED_LIST = {"TEACHER": "teachers", "STUDENT": "students", "CLASS": "classes"}


def _unmatched(entries: list[UnmatchedEntry]) -> dict[str, list[str]]:
    """Return the bilan's lists by kind: the labels of the matching page's entries."""
    unmatched: dict[str, list[str]] = {key: [] for key in UNMATCHED_KINDS}
    for entry in entries:
        unmatched[_UNMATCHED_LIST.get(entry.kind, "groups")].append(entry.label)
        if len(entry.candidates) > 1:
            unmatched["ambiguous"].append(ambiguity_line(entry.label, len(entry.candidates)))
    return {key: sorted(labels) for key, labels in unmatched.items()}


def _match_note(result: MatchResult) -> StepNote:
    summary = "Rapprochement : " + ", ".join(
        f"{kind.matched_count}/{kind.total} {label}" for label, kind in _labelled(result)
    )
    missing = sum(kind.unmatched_count for _label, kind in _labelled(result))
    if missing:
        return StepNote(
            "rapprochement",
            WARNING,
            f"{summary}. {missing} élément(s) non rapproché(s) : les groupes absents de "
            "l'annuaire sont créés ; les séances des enseignants et classes non rapprochés sont "
            "créées sans eux, et les élèves non rapprochés ne sont inscrits dans aucun groupe.",
            action="Vérifiez l'annuaire de l'ENT (import AAF) ou rapprochez ces éléments à la "
            "main (bouton « Rapprocher à la main » de la page de l'import) ; les rapprochements "
            "manuels sont conservés et servent dès le prochain import. Les éléments sont listés "
            "dans le bilan, une fois, par type.",
        )
    return StepNote("rapprochement", OK, f"{summary}.")


def _labelled(result: MatchResult) -> list[tuple[str, KindResult]]:
    return [
        ("enseignants", result.teachers),
        ("élèves", result.students),
        ("classes", result.classes),
        ("groupes", result.group_entities),
    ]


# Plan -----------------------------------------------------------------------------------


def step_plan(
    target: Target, timetable: Timetable, matched: Matched, reference: int | None
) -> Plan:
    """Plan the timetable the file yields from the run's start to the end of the year.

    When nothing but the file changed since the last integrated run (``reference``:
    :func:`step_reference`), the services whose courses did not change are planned without
    their sessions (:mod:`imports.services.incremental`).
    """
    reusable = incremental_reusable(reference, establishment_ids=target.ids)
    establishments = sorted(target.establishments, key=lambda e: e.pk)
    window_end = target.window_end
    plan = plan_build(
        timetable,
        matched.matches,
        establishments=[(e.pk, e.uai) for e in establishments],
        effective_at=target.effective_at,
        window_end=window_end,
        tz=target.tz,
        ent_closings=ClosingPeriod.objects.filter(
            establishment_id__in=target.ids, source=ClosingPeriod.Source.MANUAL
        ).values_list("establishment_id", "start_date", "end_date"),
        reusable=reusable,
    )
    return plan


def step_changes(plan: Plan, diff: Diff) -> tuple[list[ChangeRow], list[ChangeRow]]:
    """Return the sessions added, removed and changed per audience and per teacher."""
    summary = change_summary(plan, diff)
    return (
        [ChangeRow(**row) for row in summary["by_audience"]],
        [ChangeRow(**row) for row in summary["by_teacher"]],
    )


def step_preview(diff: Diff, assessment: Assessment, target: Target) -> StepNote:
    """Say what applying a preview-only run would do; nothing is written."""
    blocking = assessment.blocking
    since = target.effective_at.astimezone(target.tz)
    return StepNote(
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


def step_thresholds(run: ImportRun, assessment: Assessment) -> StepNote:
    """Stop the run (BLOCKED) when a blocking threshold is exceeded and not confirmed."""
    exceeded, blocking, details = assessment.exceeded, assessment.blocking, assessment.details()
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
        return StepNote(
            "seuils",
            WARNING,
            f"{len(exceeded)} seuil(s) dépassé(s)"
            + (" ; import confirmé malgré les seuils." if blocking else " (non bloquants)."),
            details=details,
        )
    return StepNote("seuils", OK, "Aucun seuil dépassé.", details=details)


def step_applied_notes(counters: dict[str, int], target: Target) -> list[StepNote]:
    """Say what the apply step changed: groups and memberships, then sessions."""
    groups = StepNote(
        "groupes",
        OK,
        f"{counters['groups_created']} groupe(s) créé(s), {counters['memberships_created']} "
        f"inscription(s) ajoutée(s), {counters['memberships_removed']} retirée(s).",
    )
    since = target.effective_at.astimezone(target.tz)
    sessions = StepNote(
        "séances",
        OK,
        f"Séances générées à partir du {since:%d/%m/%Y à %H:%M} : "
        f"{counters['sessions_created']} créée(s), {counters['sessions_updated']} modifiée(s), "
        f"{counters['sessions_deleted']} supprimée(s), {counters['sessions_unchanged']} "
        "inchangée(s). Les séances passées et celles saisies à la main ne sont pas touchées.",
    )
    return [groups, sessions]
