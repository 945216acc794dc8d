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

The full path is taken whenever there is a doubt: the setting ``IMPORT_INCREMENTAL`` is off,
the database is not PostgreSQL, the run is not a plain automatic one, there is no reference
or the ENT's state changed since it (directory, manual matches, closings, school year,
subjects, services, hand edits of sessions, memberships, cancellations), the reference
created groups or reported coherence violations, or an integrated run of the target had a
later import time than this run.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.db.models.fields.json import KeyTransform

from ent.models import TeachingService
from imports.models import ImportRun


def incremental_reusable(
    run: ImportRun, *, establishment_ids: list[int], effective_at: dt.datetime, digest: str
) -> dict[str, str] | None:
    """Return the services whose sessions a new plan may reuse (key → course digest).

    ``None`` when the run must take the full path; ``digest`` is the state digest now.
    """
    if not settings.IMPORT_INCREMENTAL or connection.vendor != "postgresql":
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
            "state_digest",
            KeyTransform("groups_created", "counters"),
            KeyTransform("coherence_total", "bilan"),
        )
        .first()
    )
    if reference is None:
        return None
    state, groups_created, coherence_total = reference
    if not state or state != digest or (groups_created or 0) > 0 or (coherence_total or 0) > 0:
        return None
    latest = integrated.aggregate(latest=Max("effective_at"))["latest"]
    if latest is None or latest > effective_at:
        return None
    rows = TeachingService.objects.filter(
        establishment_id__in=establishment_ids,
        is_active=True,
        session_digests__isnull=False,
        course_digest__isnull=False,
    ).values_list("key", "course_digest")
    return {key: digest for key, digest in rows if digest}
