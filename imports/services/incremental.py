"""Re-plan only the teaching services whose courses changed (incremental re-import).

Every applied plan stores, on each of its teaching services, a *course digest*
(``TeachingService.course_digest``, :meth:`imports.planning._PlanBuilder._course_digests`):
a digest of the file's courses that produced the service's sessions and of the frame they
were planned in (school year, closings, establishments, window end). A new file yields the
same digests for the services whose courses did not change.

When nothing but the file changed since the last integrated run of the same target (the
*reference*: the ENT's state digest, :func:`imports.services.unchanged.state_digest`, equals
the one it stored), a service whose new digest equals its stored one, and whose session
digests still hold (no write to its sessions since the import that planned them), already
holds exactly the sessions the new plan would give it from the import time on. The plan then
skips its sessions (:func:`imports.planning.plan_build`, ``reusable``) and the diff neither
reads nor compares them: it counts them by SQL as unchanged
(:func:`imports.services.apply.plan_diff`). Everything else (services, subjects,
memberships, closings, cancellations, thresholds, change list, preview, counters) is
computed in full, so the run reports exactly what the full path would.

Matching is spared the same way (:func:`step_match <imports.services.steps.step_match>`):
every integrated run keeps its match results (:class:`imports.models.RunMatching`) with a
digest of what matching read from the file (:func:`matching_inputs_digest`). A run that
qualifies for the incremental plan (:func:`incremental_reference`) and whose file gives the
same digest reuses the reference's results: the directory it would match against is the
reference's (the state digest covers it), and matching is pure.

The full path is taken whenever there is a doubt: the setting ``IMPORT_INCREMENTAL`` is off,
the database is not PostgreSQL, the run is not a plain automatic one, there is no reference
or the ENT's state changed since it (directory, manual matches, closings, school year,
subjects, services, hand edits of sessions, memberships, cancellations), the reference
created groups or reported coherence violations, or an integrated run of the target had a
later import time than this run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.db.models.fields.json import KeyTransform

from ent.models import TeachingService
from imports.matching import DirectoryUnit, KindResult, MatchResult, UnmatchedEntry
from imports.models import ImportRun, RunMatching
from imports.timetable import Timetable

# Part of every matching inputs digest: change it when matching changes what it finds.
MATCHING_DIGEST_VERSION = 1
MATCH_KINDS = ("teachers", "students", "classes", "groups", "parts")


def incremental_reference(
    run: ImportRun, *, effective_at: dt.datetime, digest: str | None
) -> int | None:
    """Return the id of the run whose results a new plan and matching may reuse, or ``None``.

    ``None`` when the run must take the full path; ``digest`` is the state digest now
    (``None``: a run that is not a plain automatic one).
    """
    if digest is None or not settings.IMPORT_INCREMENTAL or connection.vendor != "postgresql":
        return None
    if run.mode != ImportRun.Mode.AUTOMATIC or run.preview_only or run.apply_anyway:
        return None
    integrated = ImportRun.objects.filter(
        Q(establishment_id=run.establishment_id),
        school_group_id=run.school_group_id,
        status=ImportRun.Status.INTEGRATED,
    ).exclude(pk=run.pk)
    reference = (
        integrated.order_by("-finished_at", "-pk")
        .values_list(
            "pk",
            "state_digest",
            KeyTransform("groups_created", "counters"),
            KeyTransform("coherence_total", "bilan"),
        )
        .first()
    )
    if reference is None:
        return None
    pk, state, groups_created, coherence_total = reference
    if not state or state != digest or (groups_created or 0) > 0 or (coherence_total or 0) > 0:
        return None
    latest = integrated.aggregate(latest=Max("effective_at"))["latest"]
    if latest is None or latest > effective_at:
        return None
    return int(pk)


def incremental_reusable(
    reference: int | None, *, establishment_ids: list[int]
) -> dict[str, str] | None:
    """Return the services whose sessions a new plan may reuse (key → course digest).

    ``None`` when the run must take the full path (``reference``: :func:`incremental_reference`).
    """
    if reference is None:
        return None
    rows = TeachingService.objects.filter(
        establishment_id__in=establishment_ids,
        is_active=True,
        session_digests__isnull=False,
        course_digest__isnull=False,
    ).values_list("key", "course_digest")
    return {key: digest for key, digest in rows if digest}


# Matching ---------------------------------------------------------------------------------


def matching_inputs_digest(timetable: Timetable) -> str:
    """Return a SHA-256 (hex) of everything matching reads from the file.

    The teachers' and students' idents, names, birth dates and identifiers, the classes',
    groups' and class parts' idents and names, in the file's order (the order of the
    unmatched entries follows it). The directory side is the state digest's.
    """
    teachers = [
        (t.ident, t.last_name, t.first_name, t.birth_date, t.idpn, t.sts_id)
        for t in timetable.teachers.values()
    ]
    students = [
        (s.ident, s.last_name, s.first_name, s.birth_date, s.ine, s.siecle_id)
        for s in timetable.students.values()
    ]
    units = (
        [(c.ident, c.name) for c in timetable.classes.values()],
        [(g.ident, g.name) for g in timetable.groups.values()],
        [(p, timetable.part_name(p)) for p in timetable.parts],
    )
    text = repr((MATCHING_DIGEST_VERSION, teachers, students, units))
    return hashlib.sha256(text.encode()).hexdigest()


def matching_dump(
    result: MatchResult, classes: list[DirectoryUnit], groups: list[DirectoryUnit]
) -> dict[str, Any]:
    """Return ``result`` and the directory's ``classes`` and ``groups`` it names as JSON."""
    return {
        "kinds": {name: _kind_dump(getattr(result, name)) for name in MATCH_KINDS},
        "classes": [[u.id, u.code, u.name, u.establishment_id] for u in classes],
        "groups": [[u.id, u.code, u.name, u.establishment_id] for u in groups],
    }


def matching_load(
    document: dict[str, Any],
) -> tuple[MatchResult, dict[int, DirectoryUnit], dict[int, DirectoryUnit]]:
    """Return the match results, classes and groups (id → unit) of a :func:`matching_dump`
    document."""
    kinds = document["kinds"]
    result = MatchResult(**{name: _kind_load(kinds[name]) for name in MATCH_KINDS})
    classes = {row[0]: DirectoryUnit(*row) for row in document["classes"]}
    groups = {row[0]: DirectoryUnit(*row) for row in document["groups"]}
    return result, classes, groups


def matching_stored(reference: int, inputs_digest: str) -> dict[str, Any] | None:
    """Return the match results ``reference`` stored for the same inputs, or ``None``."""
    return (
        RunMatching.objects.filter(run_id=reference, inputs_digest=inputs_digest)
        .values_list("results", flat=True)
        .first()
    )


def matching_store(
    run: ImportRun, *, inputs_digest: str, document: dict[str, Any] | None, reused_from: int | None
) -> None:
    """Keep what matching found for ``run`` (``reused_from``: copy that run's, unread).

    Only the target's latest integrated run is ever a reference (:func:`incremental_reference`),
    so the results of its earlier runs are deleted: one row per target, not one per run.
    """
    if reused_from is not None:
        table = connection.ops.quote_name(RunMatching._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (run_id, inputs_digest, results) "  # noqa: S608
                f"SELECT %s, inputs_digest, results FROM {table} WHERE run_id = %s "
                "ON CONFLICT (run_id) DO UPDATE SET inputs_digest = EXCLUDED.inputs_digest, "
                "results = EXCLUDED.results",
                [run.pk, reused_from],
            )
    elif document is not None:
        RunMatching.objects.update_or_create(
            run_id=run.pk, defaults={"inputs_digest": inputs_digest, "results": document}
        )
    else:
        RunMatching.objects.filter(run_id=run.pk).delete()  # a retried run's earlier attempt
    RunMatching.objects.filter(
        Q(run__establishment_id=run.establishment_id), run__school_group_id=run.school_group_id
    ).exclude(run_id=run.pk).delete()


def matching_kept() -> bool:
    """Whether runs keep their match results (only the incremental path reads them)."""
    return bool(settings.IMPORT_INCREMENTAL) and connection.vendor == "postgresql"


def _kind_dump(kind: KindResult) -> dict[str, Any]:
    return {
        # Pairs, not an object: PostgreSQL's jsonb does not keep the keys' order.
        "matched": list(kind.matched.items()),
        "entries": [
            [
                e.source_key,
                e.label,
                e.birth_date.isoformat() if e.birth_date else None,
                list(e.candidates),
            ]
            for e in kind.entries
        ],
        "keys": sorted(kind.keys),
        "listed": sorted(kind.listed),
    }


def _kind_load(document: dict[str, Any]) -> KindResult:
    return KindResult(
        matched=dict((ident, pk) for ident, pk in document["matched"]),
        entries=[
            UnmatchedEntry(
                source_key=key,
                label=label,
                birth_date=dt.date.fromisoformat(birth) if birth else None,
                candidates=tuple(candidates),
            )
            for key, label, birth, candidates in document["entries"]
        ],
        keys=set(document["keys"]),
        listed=set(document["listed"]),
    )
