"""Recorded changes of the threshold settings, and the ones that need a confirmation.

Seed 001 says of the coherence check "Très important : ne pas décocher cette case"; restoring
the defaults overwrites every choice at once. Both therefore ask the user to confirm, and
every change is recorded with its author and time, shown on the settings page. Like every
change of what a running import reads, a change is refused while an import of the school
group runs (:class:`~imports.services.guard.ImportRunning`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import QuerySet

from imports.models import ThresholdSettingsChange
from imports.services.guard import no_import_running
from imports.thresholds.definitions import CONTROLS, Control, Setting
from imports.thresholds.persistence import (
    THRESHOLDS,
    threshold_settings_for,
    threshold_settings_save,
)

RECENT_CHANGES = 10


class ConfirmationNeeded(ValueError):
    """The change needs an explicit confirmation; the message says why, in French."""

    def __init__(self, message: str, *, changes: list[str]) -> None:
        super().__init__(message)
        self.changes = changes


def threshold_settings_differences(
    current: Mapping[Control, Setting], wanted: Mapping[Control, Setting]
) -> list[str]:
    """Return one French line per control whose percentage or blocking flag changes."""
    lines = []
    for spec in CONTROLS:
        before, after = current[spec.control], wanted.get(spec.control, current[spec.control])
        parts = []
        if spec.default_percent is not None and before.percent != after.percent:
            parts.append(f"{before.percent} % → {after.percent} %")
        if before.blocking != after.blocking:
            parts.append("devient bloquant" if after.blocking else "devient non bloquant")
        if parts:
            lines.append(f"{spec.label} : {', '.join(parts)}")
    return lines


def threshold_settings_change(
    *,
    school_group_id: int,
    wanted: Mapping[Control, Setting],
    user_id: int | None,
    now: dt.datetime,
    defaults_restored: bool = False,
    confirmed: bool = False,
) -> ThresholdSettingsChange | None:
    """Save ``wanted`` and record who changed what; return None when nothing changed.

    Raises :class:`ConfirmationNeeded`, saving nothing, when the change unticks "Bloquant"
    on the coherence check or restores the defaults and ``confirmed`` is False;
    :class:`~imports.services.guard.ImportRunning` while an import of the school group runs
    (checked first, so nobody confirms a change that would then be refused).
    """
    with no_import_running(school_group_id=school_group_id, what=THRESHOLDS):
        current = threshold_settings_for(school_group_id=school_group_id)
        changes = threshold_settings_differences(current, wanted)
        coherence = Control.CLOSING_COHERENCE
        unblocks = current[coherence].blocking and not wanted[coherence].blocking
        if not confirmed and unblocks:
            raise ConfirmationNeeded(
                "Vous décochez « Bloquant » sur la cohérence avec les périodes de fermeture. "
                "Très important : un fichier incohérent serait alors intégré et pourrait "
                "compromettre l'archivage légal des cahiers de textes. Pour un changement "
                "ponctuel, préférez un import manuel confirmé. Confirmez-vous ?",
                changes=changes,
            )
        if not confirmed and defaults_restored and changes:
            raise ConfirmationNeeded(
                "Rétablir les valeurs par défaut remplace tous les réglages de la cité "
                "scolaire. Confirmez-vous ?",
                changes=changes,
            )
        if not changes:
            return None
        threshold_settings_save(school_group_id=school_group_id, settings=wanted)
        return ThresholdSettingsChange.objects.create(
            school_group_id=school_group_id,
            changed_by_id=user_id,
            changed_at=now,
            defaults_restored=defaults_restored,
            coherence_unblocked=unblocks,
            changes=changes,
        )


def threshold_settings_changes_recent(*, school_group_id: int) -> QuerySet[ThresholdSettingsChange]:
    """Return the school group's latest threshold changes, newest first."""
    return (
        ThresholdSettingsChange.objects.filter(school_group_id=school_group_id)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:RECENT_CHANGES]
    )


def coherence_unblocked_since(*, school_group_id: int) -> ThresholdSettingsChange | None:
    """Return the change that made the coherence check non-blocking, if it still is."""
    if threshold_settings_for(school_group_id=school_group_id)[Control.CLOSING_COHERENCE].blocking:
        return None
    return (
        ThresholdSettingsChange.objects.filter(
            school_group_id=school_group_id, coherence_unblocked=True
        )
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )
