"""A school group's threshold settings and their time-boxed relaxations: reads and writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import QuerySet

from imports.models import ThresholdRelaxation, ThresholdSetting
from imports.services.guard import no_import_running
from imports.thresholds.definitions import DEFAULT_SETTINGS, SPECS, Control, Setting

THRESHOLDS = "les seuils"
# A relaxation is for an event (a trip, work placements), not a new permanent setting.
RELAXATION_MAX_DAYS = 92


class RelaxationRefused(ValueError):
    """A relaxation that cannot be recorded; the message is for the user, in French."""


def threshold_settings_for(
    *, school_group_id: int, at: dt.datetime | None = None
) -> dict[Control, Setting]:
    """Return every control's setting for the school group (defaults where none is saved).

    With ``at``, the relaxations in force at that moment replace the settings they cover.
    """
    settings = dict(DEFAULT_SETTINGS)
    for row in ThresholdSetting.objects.filter(school_group_id=school_group_id):
        try:
            control = Control(row.control)
        except ValueError:
            continue
        settings[control] = Setting(row.percent, row.blocking)
    if at is not None:
        active = ThresholdRelaxation.objects.filter(
            school_group_id=school_group_id, starts_at__lte=at, ends_at__gt=at
        ).order_by("created_at")
        for relaxation in active:  # the latest one wins when two overlap
            settings[Control(relaxation.control)] = Setting(
                relaxation.percent, relaxation.blocking, relaxed_until=relaxation.ends_at
            )
    return settings


def threshold_relaxations_pending(
    *, school_group_id: int, now: dt.datetime
) -> QuerySet[ThresholdRelaxation]:
    """Return the relaxations in force or still to come, soonest first."""
    return ThresholdRelaxation.objects.filter(
        school_group_id=school_group_id, ends_at__gt=now
    ).order_by("starts_at", "pk")


def threshold_relaxation_create(
    *,
    school_group_id: int,
    control: Control,
    percent: int,
    blocking: bool,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    created_by_id: int | None,
    now: dt.datetime,
) -> ThresholdRelaxation:
    """Record a relaxation of ``control`` over ``[starts_at, ends_at)``.

    Raises :class:`RelaxationRefused` for the coherence check (never relaxed: the legal
    archive of the cahier de textes depends on it), an empty or past window, or one longer
    than :data:`RELAXATION_MAX_DAYS`; :class:`~imports.services.guard.ImportRunning` while
    an import of the school group runs.
    """
    if SPECS[control].default_percent is None:
        raise RelaxationRefused(
            "La cohérence avec les périodes de fermeture ne peut pas être assouplie : "
            "l'archivage légal des cahiers de textes en dépend."
        )
    starts_at = max(starts_at, now)
    if ends_at <= starts_at:
        raise RelaxationRefused("La date de fin doit être postérieure au début et à maintenant.")
    if ends_at - starts_at > dt.timedelta(days=RELAXATION_MAX_DAYS):
        raise RelaxationRefused(
            f"Un assouplissement dure au plus {RELAXATION_MAX_DAYS} jours. Pour un changement "
            "durable, modifiez le seuil lui-même."
        )
    with no_import_running(school_group_id=school_group_id, what=THRESHOLDS):
        return ThresholdRelaxation.objects.create(
            school_group_id=school_group_id,
            control=control.value,
            percent=percent,
            blocking=blocking,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip(),
            created_by_id=created_by_id,
        )


def threshold_relaxation_end(*, relaxation: ThresholdRelaxation, now: dt.datetime) -> None:
    """Stop a relaxation now: one not yet started is removed, one in force ends here.

    Raises :class:`~imports.services.guard.ImportRunning` while an import runs.
    """
    with no_import_running(school_group_id=relaxation.school_group_id, what=THRESHOLDS):
        if relaxation.starts_at >= now:
            relaxation.delete()
            return
        relaxation.ends_at = now
        relaxation.save(update_fields=["ends_at"])


def threshold_settings_save(*, school_group_id: int, settings: Mapping[Control, Setting]) -> None:
    """Save the school group's settings for the given controls.

    Raises :class:`~imports.services.guard.ImportRunning` while an import runs.
    """
    with no_import_running(school_group_id=school_group_id, what=THRESHOLDS):
        for control, setting in settings.items():
            percent = None if SPECS[control].default_percent is None else setting.percent
            ThresholdSetting.objects.update_or_create(
                school_group_id=school_group_id,
                control=control.value,
                defaults={"percent": percent, "blocking": setting.blocking},
            )
