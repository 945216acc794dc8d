"""A new export of an unchanged timetable, recognised without parsing it.

Timetable programs export at fixed hours whether anything changed or not, and an export's
bytes change every time (comments, and for an encrypted file the envelope's date and keys),
so the byte-for-byte DUPLICATE rule misses most repeats. This module recognises them
cheaply: the run's *content fingerprint* (:func:`imports.parsers.registry.content_fingerprint`)
equals that of the last integrated run of the same target (the *reference*), and the ENT's
*state digest* (:func:`state_digest`: everything besides the file that the pipeline reads)
equals the one stored when the reference ended. Then the full pipeline would parse the same
timetable, match it against the same directory, plan the same sessions and find nothing to
write; the run ends INTEGRATED at once, with the reference's matching results and the
thresholds evaluated with the settings in force now.

The shortcut is refused, and the file goes through the whole pipeline, whenever the
reference may not describe the steady state: it created groups (the directory it matched
against changed during its own apply), it reported coherence violations, a service's
sessions were edited outside an import (their digests were reset, see
:mod:`imports.services.apply`), or a blocking threshold would be exceeded now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTransform

from ent.models import (
    CancelledCourse,
    ClassMembership,
    ClosingPeriod,
    Establishment,
    GroupMembership,
    Person,
    SchoolClass,
    SchoolYear,
    Session,
    SessionContent,
    Subject,
    TeachingGroup,
    TeachingService,
)
from imports.models import ImportRun, ManualMatch
from imports.report import RunReport
from imports.thresholds import Assessment
from imports.thresholds.definitions import Control
from imports.thresholds.evaluation import Measure, evaluate
from imports.thresholds.persistence import threshold_settings_for

MATCHING_CONTROLS = (
    Control.TEACHERS_UNMATCHED,
    Control.STUDENTS_UNMATCHED,
    Control.CLASSES_UNMATCHED,
    Control.GROUPS_UNMATCHED,
)
# The parts of a reference's report that depend only on the file and the directory.
STEADY_REPORT_KEYS = ("problems", "problems_total", "unmatched", "unmatched_entries")
STEADY_REPORT_KEYS_TOTAL = "unmatched_entries_total"


@dataclass(frozen=True, slots=True)
class StateDigest:
    """The state digest (:func:`state_digest`) with the digest of each of its parts.

    ``value`` is what runs store and compare; ``parts`` (label → digest) let a run that
    wrote only some parts digest those again (:func:`state_digest_after_apply`).
    """

    year: tuple[dt.date, dt.date] | None
    parts: dict[str, str]

    @property
    def value(self) -> str:
        digest = hashlib.sha256(repr(self.year).encode())
        for label in PARTS:
            digest.update(f"\n{label}:{self.parts[label]}".encode())
        return digest.hexdigest()


# The parts of the state digest: row lists (the columns the pipeline reads), then tables
# digested by their rows' versions: any insert, delete or in-place edit of a row changes them.
ROW_PARTS = ("e", "p", "c", "g", "m", "f", "y", "s", "t")
VERSION_PARTS = ("gm", "cm", "x")
PARTS = ROW_PARTS + VERSION_PARTS
# What the apply step writes (imports.services.apply.plan_apply): services and their
# digests, subjects, groups (and their membership digests), closings and cancellations,
# always digested again after it; group memberships on PostgreSQL, elsewhere only when it
# created groups or created or removed memberships.
APPLY_PARTS = ("t", "s", "g", "f", "x")
MEMBERSHIP_COUNTERS = ("groups_created", "memberships_created", "memberships_removed")


def state_digest(
    *,
    school_group_id: int,
    establishment_ids: list[int],
    school_year: tuple[dt.date, dt.date] | None,
) -> str:
    """Return a SHA-256 (hex) of what, besides the file, an import of these establishments reads.

    The establishments (UAI), the school year in force (``school_year``: declared or the
    national default), the directory (people, classes, groups, memberships), the manual
    matches, the closing periods, subjects, teaching services and their digest state, and
    the cancellations held. Any write to them changes the digest.
    """
    return state_digest_parts(
        school_group_id=school_group_id,
        establishment_ids=establishment_ids,
        school_year=school_year,
    ).value


def state_digest_parts(
    *,
    school_group_id: int,
    establishment_ids: list[int],
    school_year: tuple[dt.date, dt.date] | None,
    only: tuple[str, ...] = PARTS,
) -> StateDigest:
    """Return the state digest with its parts (``only``: those parts, the others left out).

    On PostgreSQL each part is digested by the server, all in one statement (a row list:
    its rows as PostgreSQL writes records, one a line in primary key order, through
    SHA-256; a versioned table: its rows' ids and ``xmin``, the transaction that wrote each
    row's current version), so no row crosses the connection; elsewhere the rows are read
    and digested here (a versioned table: every column). The two give different digests of
    the same state, which is harmless: digests are only compared within one database.
    """
    queries = _state_queries(school_group_id, sorted(establishment_ids))
    wanted = [(label, queries[label]) for label in PARTS if label in only]
    if connection.vendor == "postgresql":
        return StateDigest(school_year, _parts_digested_in_postgresql(wanted))
    parts: dict[str, str] = {}
    for label, queryset in wanted:
        digest = hashlib.sha256()
        if label in VERSION_PARTS:
            columns = [f.attname for f in queryset.model._meta.concrete_fields]
            queryset = queryset.values_list(*columns).order_by("pk")
        for row in queryset:
            digest.update(repr(row).encode())
            digest.update(b"\n")
        parts[label] = digest.hexdigest()
    return StateDigest(school_year, parts)


def state_digest_after_apply(
    before: StateDigest | None,
    counters: dict[str, int],
    *,
    school_group_id: int,
    establishment_ids: list[int],
    school_year: tuple[dt.date, dt.date] | None,
) -> str:
    """Return the state digest once the apply step has written (``counters``: what it did).

    ``before`` is the digest the run read before planning (``None``: digest everything
    now). The parts the apply step writes are digested again; the others keep ``before``'s
    digest. Should another process have changed one of those meanwhile (the directory,
    say), the stored digest describes the state this run planned from, not the new one:
    the next export then goes through the whole pipeline, as it must.
    """
    if before is None or before.year != school_year:
        return state_digest(
            school_group_id=school_group_id,
            establishment_ids=establishment_ids,
            school_year=school_year,
        )
    again: tuple[str, ...] = APPLY_PARTS
    # On PostgreSQL the apply may also have stored groups' membership digests, which moves
    # their memberships out of "gm" (see _state_queries): cheap to read again there.
    if connection.vendor == "postgresql" or any(counters.get(name) for name in MEMBERSHIP_COUNTERS):
        again += ("gm",)
    after = state_digest_parts(
        school_group_id=school_group_id,
        establishment_ids=establishment_ids,
        school_year=school_year,
        only=again,
    )
    return StateDigest(school_year, {**before.parts, **after.parts}).value


def _state_queries(school_group_id: int, ids: list[int]) -> dict[str, QuerySet[Any, Any]]:
    """Return the querysets of the digest's parts: a row list's rows (primary key first,
    ordered by it), or a versioned table's rows."""
    people = Person.establishments.through.objects.filter(establishment_id__in=ids)
    rows: dict[str, QuerySet[Any, Any]] = {
        "e": Establishment.objects.filter(pk__in=ids).values_list("pk", "uai"),
        # People of the establishments: a semi-join, no duplicate to remove.
        "p": Person.objects.filter(pk__in=people.values("person_id")).values_list(
            "pk",
            "is_active",
            "kind",
            "last_name",
            "first_name",
            "birth_date",
            "ine",
            "sts_id",
            "pronote_idpn",
        ),
        "c": SchoolClass.objects.filter(establishment_id__in=ids).values_list(
            "pk", "code", "name", "establishment_id"
        ),
        # With the digest of its timetable memberships: on PostgreSQL, triggers empty it on
        # any write to them (migration ent 0011), so "gm" need only read the other groups'.
        "g": TeachingGroup.objects.filter(establishment_id__in=ids).values_list(
            "pk", "code", "name", "establishment_id", "membership_digest"
        ),
        "m": ManualMatch.objects.filter(school_group_id=school_group_id).values_list(
            "pk",
            "kind",
            "source_key",
            "name_key",
            "birth_date",
            "person_id",
            "school_class_id",
            "group_id",
        ),
        "f": ClosingPeriod.objects.filter(establishment_id__in=ids).values_list(
            "pk", "source", "start_date", "end_date", "label"
        ),
        "y": SchoolYear.objects.filter(school_group_id=school_group_id).values_list(
            "pk", "start_date", "end_date"
        ),
        "s": Subject.objects.filter(establishment_id__in=ids).values_list("pk", "code", "label"),
        "t": TeachingService.objects.filter(establishment_id__in=ids)
        .annotate(digested=Q(session_digests__isnull=False))
        .values_list("pk", "key", "is_active", "weekly_minutes", "digested"),
    }
    queries = {label: q.order_by("pk") for label, q in rows.items()}
    queries["gm"] = GroupMembership.objects.filter(
        group_id__in=TeachingGroup.objects.filter(
            establishment_id__in=ids, membership_digest=""
        ).values("pk")
    )
    queries["cm"] = ClassMembership.objects.filter(school_class__establishment_id__in=ids)
    queries["x"] = CancelledCourse.objects.filter(establishment_id__in=ids)
    return queries


def _parts_digested_in_postgresql(wanted: list[tuple[str, QuerySet[Any, Any]]]) -> dict[str, str]:
    """Return the digest of each part (label → digest), computed by PostgreSQL at once.

    A row list's digest is the SHA-256 of its rows as PostgreSQL writes records (quoted
    text, NULL distinct from an empty string), one a line in primary key order. A
    versioned table's is its row count and the XOR (``bit_xor``: PostgreSQL 14, Django 5.2's
    minimum) of a 64-bit hash of each row's id seeded with its ``xmin``: no sort, as cheap as
    counting the ids. Every insert, delete or update gives a row a new id or a new ``xmin``,
    whatever column it changes (VACUUM's freezing keeps the value; a dump restored into
    another cluster changes it, and one export then takes the whole pipeline again).
    """
    selects: list[str] = []
    params: list[Any] = []
    for label, queryset in wanted:
        assert label in PARTS  # noqa: S101 (a literal of this module, written into the SQL)
        if label in VERSION_PARTS:
            table = connection.ops.quote_name(queryset.model._meta.db_table)
            versions = queryset.annotate(version=RawSQL(f"{table}.xmin::text", ()))  # noqa: S611 (own table)
            sql, query_params = (
                versions.values_list("pk", "version").order_by().query.sql_with_params()
            )
            selects.append(
                f"SELECT '{label}', concat_ws(',', count(*), "  # noqa: S608
                f"bit_xor(hashint8extended(x.c0, x.c1::bigint))) FROM ({sql}) AS x(c0, c1)"
            )
        else:
            sql, query_params = queryset.query.sql_with_params()
            # The row's columns renamed c0 (the primary key), c1…: a name to order by.
            width = len(queryset.query.values_select) + len(queryset.query.annotation_select)
            columns = ", ".join(f"c{n}" for n in range(width))
            selects.append(
                f"SELECT '{label}', encode(sha256(convert_to(coalesce(string_agg(x::text, "  # noqa: S608
                f"E'\\n' ORDER BY x.c0), ''), 'UTF8')), 'hex') FROM ({sql}) AS x({columns})"
            )
        params += query_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        return dict(cursor.fetchall())


def unchanged_reference(
    run: ImportRun, *, establishment_ids: list[int], digest: str
) -> ImportRun | None:
    """Return the integrated run whose result ``run`` would repeat, or ``None``.

    ``run.content_fingerprint`` must be set, ``digest`` is :func:`state_digest` now.
    """
    last = (
        ImportRun.objects.filter(
            Q(establishment_id=run.establishment_id),
            school_group_id=run.school_group_id,
            status=ImportRun.Status.INTEGRATED,
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .only("pk", "sha256", "content_fingerprint", "state_digest", "finished_at", "source_format")
        .first()
    )
    if (
        last is None
        or last.sha256 == run.sha256  # the DUPLICATE rule says it better
        or not last.content_fingerprint
        or last.content_fingerprint != run.content_fingerprint
        or last.state_digest != digest
    ):
        return None
    steady = (
        ImportRun.objects.filter(pk=last.pk)
        .values_list(
            KeyTransform("groups_created", "counters"), KeyTransform("coherence_total", "bilan")
        )
        .first()
    )
    if steady is None or (steady[0] or 0) > 0 or (steady[1] or 0) > 0:
        return None
    if TeachingService.objects.filter(
        establishment_id__in=establishment_ids, session_digests__isnull=True
    ).exists():
        return None  # sessions edited outside an import: the pipeline compares and repairs
    return last


def unchanged_report(reference: ImportRun) -> RunReport:
    """Return the parts of ``reference``'s report that the same file and directory repeat."""
    keys = [KeyTransform(key, "bilan") for key in (*STEADY_REPORT_KEYS, STEADY_REPORT_KEYS_TOTAL)]
    values = ImportRun.objects.filter(pk=reference.pk).values_list(*keys).first() or ()
    stored = dict(zip((*STEADY_REPORT_KEYS, STEADY_REPORT_KEYS_TOTAL), values, strict=False))
    return RunReport.from_json({k: v for k, v in stored.items() if v is not None})


def unchanged_assessment(
    *,
    reference: ImportRun,
    school_group_id: int,
    establishment_ids: list[int],
    at: dt.datetime,
    window_end: dt.datetime,
) -> Assessment:
    """Evaluate the controls as the full pipeline would for the same file now.

    Matching is the reference's (same file, same directory); nothing is created, changed or
    removed, so every other control counts zero out of what the ENT holds now.
    """
    stored = (
        ImportRun.objects.filter(pk=reference.pk)
        .values_list(KeyTransform("thresholds", "bilan"))
        .first()
    )
    evaluations = RunReport.from_json({"thresholds": (stored or [None])[0] or []}).thresholds
    matching = {
        e.control: Measure(e.control, e.numerator, e.denominator, e.items)
        for e in evaluations
        if e.control in MATCHING_CONTROLS
    }
    active = TeachingService.objects.filter(
        establishment_id__in=establishment_ids, is_active=True
    ).count()
    # The ids themselves, not a subquery: with the sessions of hundreds of establishments in
    # the table, PostgreSQL plans a subquery as a scan of every session in the window
    # (seconds), and an id list as one index range per service (milliseconds).
    service_ids = list(
        TeachingService.objects.filter(establishment_id__in=establishment_ids).values_list(
            "pk", flat=True
        )
    )
    window = {"starts_at__gte": at, "starts_at__lt": window_end}
    existing = {
        Control.SUBJECTS_CREATED: Subject.objects.filter(
            establishment_id__in=establishment_ids
        ).count(),
        Control.SERVICES_CREATED: active,
        Control.SERVICES_MODIFIED: active,
        Control.SERVICES_DELETED: active,
        Control.SESSIONS_DELTA: Session.objects.filter(
            teaching_service_id__in=service_ids,
            source=Session.Source.TIMETABLE,
            **window,
        ).count(),
        Control.COURSES_CANCELLED: CancelledCourse.objects.filter(
            establishment_id__in=establishment_ids, **window
        ).count(),
        Control.SESSION_CONTENT_LOST: SessionContent.objects.filter(
            session__teaching_service_id__in=service_ids,
            session__source=Session.Source.TIMETABLE,
            session__starts_at__gte=at,
            session__starts_at__lt=window_end,
        ).count(),
    }
    closings = ClosingPeriod.objects.filter(
        establishment_id__in=establishment_ids, source=ClosingPeriod.Source.TIMETABLE
    ).count()
    existing[Control.CLOSINGS_ADDED] = existing[Control.CLOSINGS_REMOVED] = closings
    measures = [Measure(control, 0, total) for control, total in existing.items()]
    measures += matching.values()
    settings = threshold_settings_for(school_group_id=school_group_id, at=at)
    return Assessment(evaluate(measures, settings))
