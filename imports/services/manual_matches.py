"""Manual matches chosen by a manager on the "Rapprochements manuels" page.

A manual match ties an entity of the timetable file (its ``source_key``, as computed by
:mod:`imports.matching`) to a directory entry of the school group; every later import of the
school group uses it (:func:`imports.services.directory.directory_snapshot`).
"""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from ent.models import Person, SchoolClass, SchoolGroup, TeachingGroup
from imports.models import ManualMatch
from imports.selectors import manual_match_target
from imports.services.guard import no_import_running

MATCHES = "les rapprochements"


class ManualMatchRefused(ValueError):
    """The chosen directory entry is not one the school group's match may point at."""


def manual_match_save(
    *,
    school_group: SchoolGroup,
    kind: str,
    source_key: str,
    source_label: str,
    target_id: int,
    user: User,
    now: dt.datetime,
) -> ManualMatch:
    """Create or replace the school group's match of ``source_key`` with ``target_id``.

    A replaced match takes the new author and date (``now``).

    Raises :class:`ManualMatchRefused` when ``target_id`` is not an active person of the right
    kind, or a class or group, of the school group's establishments.
    """
    target = manual_match_target(school_group=school_group, kind=kind, target_id=target_id)
    if target is None:
        raise ManualMatchRefused(
            "Cette entrée de l'annuaire n'appartient pas aux établissements de la cité scolaire "
            "ou n'est pas du bon type : choisissez-la dans la liste proposée."
        )
    with no_import_running(school_group_id=school_group.pk, what=MATCHES):
        match, _created = ManualMatch.objects.update_or_create(
            school_group=school_group,
            kind=kind,
            source_key=source_key,
            defaults={
                "source_label": source_label[:255],
                "person": target if isinstance(target, Person) else None,
                "school_class": target if isinstance(target, SchoolClass) else None,
                "group": target if isinstance(target, TeachingGroup) else None,
                "created_by": user,
                "created_at": now,
            },
        )
    return match


def manual_match_delete(*, school_group: SchoolGroup, match_id: int) -> bool:
    """Delete the school group's manual match ``match_id``; tell whether there was one.

    Raises :class:`~imports.services.guard.ImportRunning` while an import runs.
    """
    with no_import_running(school_group_id=school_group.pk, what=MATCHES):
        deleted, _rows = ManualMatch.objects.filter(school_group=school_group, pk=match_id).delete()
    return bool(deleted)
