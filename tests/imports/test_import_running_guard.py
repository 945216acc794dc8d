"""While an import of a school group runs, its services refuse changes, whoever calls them."""

from __future__ import annotations

import datetime as dt

import pytest

from ent.models import Person
from imports.models import (
    ImportRun,
    ManualMatch,
    ThresholdRelaxation,
    ThresholdSetting,
    ThresholdSettingsChange,
)
from imports.services.guard import ImportRunning
from imports.services.manual_matches import manual_match_delete, manual_match_save
from imports.thresholds import (
    DEFAULT_SETTINGS,
    Control,
    Setting,
    threshold_relaxation_create,
    threshold_relaxation_end,
    threshold_settings_save,
)
from imports.thresholds.changes import threshold_settings_change
from tests.factories import ImportRunFactory, SchoolGroupFactory
from tests.imports.pipeline_support import (
    NOW,
    School,
    deposit,
    edt_file,
    school,
)

__all__ = ["school"]


def _running(school: School) -> ImportRun:
    run = deposit(school, edt_file())
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    return run


def _relax(school: School) -> ThresholdRelaxation:
    return threshold_relaxation_create(
        school_group_id=school.group.pk,
        control=Control.SERVICES_MODIFIED,
        percent=80,
        blocking=False,
        starts_at=NOW,
        ends_at=NOW + dt.timedelta(days=7),
        reason="Voyage scolaire",
        created_by_id=None,
        now=NOW,
    )


def test_threshold_settings_and_relaxations_are_refused_while_an_import_runs(
    school: School,
) -> None:
    relaxation = _relax(school)
    run = _running(school)
    relaxed = {Control.GROUPS_UNMATCHED: Setting(40, False)}

    with pytest.raises(ImportRunning) as refused:
        threshold_settings_save(school_group_id=school.group.pk, settings=relaxed)
    with pytest.raises(ImportRunning):
        _relax(school)
    with pytest.raises(ImportRunning):
        threshold_relaxation_end(relaxation=relaxation, now=NOW + dt.timedelta(days=1))

    assert str(refused.value) == (
        f"Un import est en cours (import n° {run.pk}) : les seuils ne peuvent pas être modifiés "
        "tant qu'il n'est pas terminé. Réessayez dans quelques instants."
    )
    assert not ThresholdSetting.objects.exists()
    assert list(ThresholdRelaxation.objects.values_list("ends_at", flat=True)) == [
        relaxation.ends_at
    ]


def test_a_recorded_settings_change_is_refused_before_any_confirmation_while_an_import_runs(
    school: School,
) -> None:
    _running(school)
    unblocked = {
        **DEFAULT_SETTINGS,
        Control.CLOSING_COHERENCE: Setting(None, False),
    }

    # Unticking the coherence control would ask for a confirmation; the guard answers first.
    with pytest.raises(ImportRunning, match="les seuils ne peuvent pas être modifiés"):
        threshold_settings_change(
            school_group_id=school.group.pk, wanted=unblocked, user_id=None, now=NOW
        )
    with pytest.raises(ImportRunning):
        threshold_settings_change(
            school_group_id=school.group.pk,
            wanted=unblocked,
            user_id=None,
            now=NOW,
            confirmed=True,
        )

    assert not ThresholdSetting.objects.exists()
    assert not ThresholdSettingsChange.objects.exists()


def test_a_birth_date_question_is_not_asked_while_an_import_runs(school: School) -> None:
    teacher = school.teachers[0]
    Person.objects.filter(pk=teacher.pk).update(birth_date=dt.date(1980, 5, 4))
    _running(school)

    with pytest.raises(ImportRunning):
        manual_match_save(
            school_group=school.group,
            kind=ManualMatch.Kind.TEACHER,
            source_key="a:PN-1",
            source_label="DUPONT Claire",
            target_id=teacher.pk,
            user=None,  # type: ignore[arg-type]
            now=NOW,
            source_birth_date=dt.date(1981, 5, 4),
        )

    assert not ManualMatch.objects.exists()


def test_manual_matches_are_refused_while_an_import_runs_and_accepted_after(
    school: School,
) -> None:
    teacher = school.teachers[0]
    match = manual_match_save(
        school_group=school.group,
        kind=ManualMatch.Kind.TEACHER,
        source_key="a:PN-1",
        source_label="DUPONT Claire",
        target_id=teacher.pk,
        user=None,  # type: ignore[arg-type]
        now=NOW,
    )
    run = _running(school)

    with pytest.raises(ImportRunning, match="les rapprochements ne peuvent pas être modifiés"):
        manual_match_delete(school_group=school.group, match_id=match.pk)
    with pytest.raises(ImportRunning):
        manual_match_save(
            school_group=school.group,
            kind=ManualMatch.Kind.TEACHER,
            source_key="a:PN-2",
            source_label="MARTIN Claire",
            target_id=Person.objects.exclude(pk=teacher.pk).first().pk,  # type: ignore[union-attr]
            user=None,  # type: ignore[arg-type]
            now=NOW,
        )
    assert list(ManualMatch.objects.values_list("pk", flat=True)) == [match.pk]

    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.INTEGRATED)
    threshold_settings_save(school_group_id=school.group.pk, settings=DEFAULT_SETTINGS)
    assert manual_match_delete(school_group=school.group, match_id=match.pk)


def test_another_school_groups_run_does_not_block_the_changes(school: School) -> None:
    ImportRunFactory(
        school_group=SchoolGroupFactory(),
        status=ImportRun.Status.RUNNING,
        received_at=NOW,
    )

    threshold_settings_save(
        school_group_id=school.group.pk, settings={Control.GROUPS_UNMATCHED: Setting(40, False)}
    )

    assert ThresholdSetting.objects.get(school_group=school.group).percent == 40
