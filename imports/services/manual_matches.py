"""Manual matches chosen by a manager on the "Rapprochements manuels" page.

A manual match ties an entity of the timetable file (its ``source_key``, as computed by
:mod:`imports.matching`) to a directory entry of the school group; every later import of the
school group uses it (:func:`imports.services.directory.directory_snapshot`).
"""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from ent.models import Person, SchoolClass, SchoolGroup, TeachingGroup
from imports.matching import manual_match_name_key
from imports.models import ManualMatch
from imports.selectors import manual_match_target
from imports.services.guard import no_import_running

MATCHES = "les rapprochements"


class ManualMatchRefused(ValueError):
    """The chosen directory entry is not one the school group's match may point at."""


class ManualMatchNeedsConfirmation(ValueError):
    """The file and the directory give the person two different birth dates: ask first."""


def manual_match_save(
    *,
    school_group: SchoolGroup,
    kind: str,
    source_key: str,
    source_label: str,
    target_id: int,
    user: User,
    now: dt.datetime,
    source_birth_date: dt.date | None = None,
    birth_date_confirmed: bool = False,
) -> ManualMatch:
    """Create or replace the school group's match of ``source_key`` with ``target_id``.

    A replaced match takes the new author and date (``now``). The match also records the
    entity's name key, so the files of the school group's other formats use it too.

    Raises :class:`ManualMatchRefused` when ``target_id`` is not an active person of the right
    kind, or a class or group, of the school group's establishments, and
    :class:`ManualMatchNeedsConfirmation` when the person's birth date in the directory differs
    from ``source_birth_date`` and the user has not confirmed;
    :class:`~imports.services.guard.ImportRunning` while an import runs.
    """
    target = manual_match_target(school_group=school_group, kind=kind, target_id=target_id)
    if target is None:
        raise ManualMatchRefused(
            "Cette entrée de l'annuaire n'appartient pas aux établissements de la cité scolaire "
            "ou n'est pas du bon type : choisissez-la dans la liste proposée."
        )
    with no_import_running(school_group_id=school_group.pk, what=MATCHES):
        # Inside the guard: nobody is asked to confirm a match that would then be refused.
        if (
            isinstance(target, Person)
            and source_birth_date is not None
            and target.birth_date is not None
            and target.birth_date != source_birth_date
            and not birth_date_confirmed
        ):
            raise ManualMatchNeedsConfirmation(
                f"Les dates de naissance diffèrent : {source_birth_date:%d/%m/%Y} dans le "
                f"fichier, {target.birth_date:%d/%m/%Y} dans l'annuaire pour "
                f"{target.display_name}. S'il s'agit bien de la même personne (date mal saisie "
                "d'un côté), confirmez le rapprochement ; sinon choisissez une autre personne."
            )
        match, _created = ManualMatch.objects.update_or_create(
            school_group=school_group,
            kind=kind,
            source_key=source_key,
            defaults={
                "source_label": source_label[:255],
                "name_key": manual_match_name_key(source_label)[:320],
                "birth_date": source_birth_date,
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
