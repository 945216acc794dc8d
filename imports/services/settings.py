"""Threshold settings of a school group."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from imports.models import ThresholdSetting
from imports.thresholds import DEFAULT_SETTINGS, SPECS, Control, Setting


def threshold_settings_for(*, school_group_id: int) -> dict[Control, Setting]:
    """Return every control's setting for the school group (defaults where none is saved)."""
    settings = dict(DEFAULT_SETTINGS)
    for row in ThresholdSetting.objects.filter(school_group_id=school_group_id):
        try:
            control = Control(row.control)
        except ValueError:
            continue
        settings[control] = Setting(row.percent, row.blocking)
    return settings


def threshold_settings_save(*, school_group_id: int, settings: Mapping[Control, Setting]) -> None:
    """Save the school group's settings for the given controls."""
    with transaction.atomic():
        for control, setting in settings.items():
            percent = None if SPECS[control].default_percent is None else setting.percent
            ThresholdSetting.objects.update_or_create(
                school_group_id=school_group_id,
                control=control.value,
                defaults={"percent": percent, "blocking": setting.blocking},
            )
