"""A new export of an unchanged timetable is recognised without being parsed.

Timetable programs export at fixed hours whether anything changed or not. When the file's
timetable (comments and the encryption envelope aside) is the one the last integrated run
brought and nothing the pipeline reads changed in the ENT since, the run ends INTEGRATED at
once with what the full pipeline would have found; any doubt sends it through the whole
pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from devtools.container_encrypt import container_encrypt
from ent.models import (
    CancelledCourse,
    ClassMembership,
    Establishment,
    GroupMembership,
    Person,
    Session,
    TeachingGroup,
)
from imports.models import ImportRun
from imports.parsers import container
from imports.parsers.index_education import payload_fingerprint
from imports.pronote_keys import pronote_keys_create
from imports.services import steps
from imports.services.apply import APPLY_COUNTERS
from imports.services.unchanged import (
    state_digest,
    state_digest_after_apply,
    state_digest_parts,
)
from imports.thresholds import Control
from imports.thresholds.definitions import Setting
from imports.thresholds.persistence import threshold_settings_save
from tests.imports.pipeline_support import (
    NOW,
    OTHER_UAI,
    UAI,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
    timetable_sessions,
)

__all__ = ["school"]

SHORTCUT = "Contenu identique à celui de l'import n°"
LATER = NOW + dt.timedelta(hours=1)
LATEST = NOW + dt.timedelta(hours=2)


def _export(tag: str, courses: list | None = None) -> bytes:
    """The timetable exported again: same content, a comment that differs per export."""
    return edt_file(courses) + f"\n<!-- export {tag} -->\n".encode()


def _messages(run: ImportRun) -> str:
    return " ".join(step.message for step in run.steps.all())


def _steady(school: School) -> ImportRun:
    """Initialise, then re-import once through the whole pipeline (the groups now exist)."""
    initialise(school)
    run = run_import(school, _export("1"), now=LATER)
    assert run.status == ImportRun.Status.INTEGRATED
    assert SHORTCUT not in _messages(run)  # the initialisation created the groups
    return run


def test_comments_and_whitespace_around_the_root_do_not_change_the_fingerprint() -> None:
    payload = edt_file()
    assert payload_fingerprint(payload) == payload_fingerprint(_export("a"))
    assert payload_fingerprint(b"\xef\xbb\xbf" + payload) == payload_fingerprint(payload)


def test_any_change_to_the_timetable_changes_the_fingerprint() -> None:
    changed = edt_file(moved(default_courses(), 0, room="S99"))
    assert payload_fingerprint(changed) != payload_fingerprint(edt_file())


@pytest.mark.django_db(transaction=True)
def test_a_new_export_of_the_integrated_timetable_is_integrated_without_being_parsed(
    school: School,
) -> None:
    reference = _steady(school)
    before = timetable_sessions()

    run = run_import(school, _export("2"), now=LATEST)

    assert run.status == ImportRun.Status.INTEGRATED
    assert f"{SHORTCUT} {reference.pk}" in _messages(run)
    assert run.source_format == reference.source_format
    assert run.counters["sessions_created"] == run.counters["sessions_deleted"] == 0
    assert (
        run.counters["sessions_unchanged"]
        == Session.objects.filter(starts_at__gte=LATEST, source=Session.Source.TIMETABLE).count()
    )
    assert timetable_sessions() == before
    assert run.state_digest == reference.state_digest
    # Every control is evaluated and shown, as after a full import.
    assert {e["control"] for e in run.bilan["thresholds"]} == set(Control)


@pytest.mark.django_db(transaction=True)
def test_identical_bytes_still_end_as_a_duplicate(school: School) -> None:
    _steady(school)
    run = run_import(school, _export("1"), now=LATEST)
    assert run.status == ImportRun.Status.DUPLICATE


@pytest.mark.django_db(transaction=True)
def test_a_changed_course_goes_through_the_whole_pipeline(school: School) -> None:
    _steady(school)
    courses = moved(default_courses(), 0, room="S99")
    run = run_import(school, _export("2", courses), now=LATEST)
    assert run.status == ImportRun.Status.INTEGRATED
    assert SHORTCUT not in _messages(run)
    assert run.counters["sessions_updated"] > 0


@pytest.mark.django_db(transaction=True)
def test_a_directory_change_since_the_last_import_sends_the_export_through_the_pipeline(
    school: School,
) -> None:
    _steady(school)
    digest = state_digest(
        school_group_id=school.group.pk,
        establishment_ids=[school.establishment.pk],
        school_year=None,
    )
    Person.objects.filter(pk=school.students[0].pk).update(last_name="ARNAUD-MARTIN")
    assert digest != state_digest(
        school_group_id=school.group.pk,
        establishment_ids=[school.establishment.pk],
        school_year=None,
    )
    run = run_import(school, _export("2"), now=LATEST)
    assert run.status == ImportRun.Status.INTEGRATED
    assert SHORTCUT not in _messages(run)


@pytest.mark.django_db(transaction=True)
def test_a_session_edited_by_hand_is_repaired_by_the_next_export_of_the_same_timetable(
    school: School,
) -> None:
    _steady(school)
    session = Session.objects.filter(
        starts_at__gte=LATEST + dt.timedelta(days=7), source=Session.Source.TIMETABLE
    ).first()
    assert session is not None
    room = session.room
    Session.objects.filter(pk=session.pk).update(room="Salle bricolée")

    run = run_import(school, _export("2"), now=LATEST)

    assert run.status == ImportRun.Status.INTEGRATED
    assert SHORTCUT not in _messages(run)
    session.refresh_from_db()
    assert session.room == room


@pytest.mark.django_db(transaction=True)
def test_a_membership_edited_in_place_is_repaired_by_the_next_export_of_the_same_timetable(
    school: School,
) -> None:
    _steady(school)
    membership = GroupMembership.objects.filter(
        source=GroupMembership.Source.TIMETABLE, role=GroupMembership.Role.STUDENT
    ).first()
    assert membership is not None
    # An edit in the administration: same row, same id, another role.
    GroupMembership.objects.filter(pk=membership.pk).update(role=GroupMembership.Role.TEACHER)

    run = run_import(school, _export("2"), now=LATEST)

    assert run.status == ImportRun.Status.INTEGRATED
    assert SHORTCUT not in _messages(run)
    assert GroupMembership.objects.filter(
        person_id=membership.person_id,
        group_id=membership.group_id,
        role=GroupMembership.Role.STUDENT,
        source=GroupMembership.Source.TIMETABLE,
    ).exists()
    assert not GroupMembership.objects.filter(
        person_id=membership.person_id,
        group_id=membership.group_id,
        role=GroupMembership.Role.TEACHER,
    ).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "table",
    [
        "group memberships",  # a group the import digested (its digest is emptied)
        "directory group memberships",  # a group it never digested (its rows are read)
        "class memberships",
        "cancellations",
    ],
)
def test_an_in_place_edit_of_a_row_the_digest_holds_by_version_changes_the_digest(
    school: School, table: str
) -> None:
    _steady(school)
    scope: dict[str, Any] = {
        "school_group_id": school.group.pk,
        "establishment_ids": [school.establishment.pk],
        "school_year": None,
    }
    group = TeachingGroup.objects.filter(establishment=school.establishment).first()
    assert group is not None
    rows = {
        "group memberships": GroupMembership.objects.filter(group=group),
        "directory group memberships": GroupMembership.objects.filter(
            pk=GroupMembership.objects.create(
                person=school.students[0],
                group=TeachingGroup.objects.create(
                    establishment=school.establishment, code="LATIN-ANNUAIRE", name="Latin"
                ),
            ).pk
        ),
        "class memberships": ClassMembership.objects.filter(
            pk=ClassMembership.objects.create(
                person=school.students[0], school_class=school.classes[0]
            ).pk
        ),
        "cancellations": CancelledCourse.objects.filter(
            pk=CancelledCourse.objects.create(
                establishment=school.establishment, starts_at=LATEST + dt.timedelta(days=8)
            ).pk
        ),
    }[table]
    before = state_digest(**scope)
    assert state_digest(**scope) == before  # reading changes nothing

    edited = rows.filter(pk=rows.values_list("pk", flat=True)[:1])
    if table == "cancellations":
        assert edited.update(starts_at=LATEST + dt.timedelta(days=9)) == 1
    else:
        assert edited.update(end_date=dt.date(2027, 2, 1)) == 1

    assert state_digest(**scope) != before


def _digest_now(school: School, run: ImportRun) -> str:
    return state_digest(
        school_group_id=school.group.pk,
        establishment_ids=[school.establishment.pk],
        school_year=steps.step_target(run).year_bounds,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "courses",
    [
        pytest.param(moved(default_courses(), 0, room="S99"), id="rooms"),
        pytest.param(default_courses()[:-1], id="memberships"),
    ],
)
def test_the_digest_stored_after_an_applied_change_is_that_of_the_ent_read_afresh(
    school: School, courses: list[Any]
) -> None:
    _steady(school)

    run = run_import(school, _export("2", courses), now=LATEST)

    assert run.status == ImportRun.Status.INTEGRATED
    assert SHORTCUT not in _messages(run)
    assert run.counters["sessions_updated"] + run.counters["memberships_removed"] > 0
    assert run.state_digest == _digest_now(school, run)


@pytest.mark.django_db(transaction=True)
def test_the_digest_after_the_apply_digests_again_only_what_the_apply_wrote(
    school: School,
) -> None:
    reference = _steady(school)
    ids = [school.establishment.pk]
    year = steps.step_target(reference).year_bounds
    scope: dict[str, Any] = {
        "school_group_id": school.group.pk,
        "establishment_ids": ids,
        "school_year": year,
    }
    before = state_digest_parts(**scope)
    assert before.value == state_digest(**scope) == reference.state_digest
    nothing = dict.fromkeys(APPLY_COUNTERS, 0)
    # Another process renames a student while the run plans: the run's digest keeps the
    # directory it planned from, so the next export is not taken for an unchanged one.
    Person.objects.filter(pk=school.students[0].pk).update(last_name="ARNAUD-MARTIN")
    assert state_digest_after_apply(before, nothing, **scope) == before.value
    assert state_digest(**scope) != before.value
    # A membership the apply removed is digested again; its counters say so.
    renamed = state_digest_parts(**scope)
    membership = GroupMembership.objects.filter(
        group__in=TeachingGroup.objects.filter(establishment_id__in=ids)
    ).first()
    assert membership is not None
    membership.delete()
    removed = {**nothing, "memberships_removed": 1}
    assert state_digest_after_apply(renamed, removed, **scope) == state_digest(**scope)
    if connection.vendor == "postgresql":
        # The group's membership digest, emptied by the deletion's trigger, is read again
        # with the groups, whatever the counters say.
        assert state_digest_after_apply(renamed, nothing, **scope) == state_digest(**scope)
    else:
        assert state_digest_after_apply(renamed, nothing, **scope) == renamed.value


@pytest.mark.django_db(transaction=True)
def test_a_missing_ine_and_an_empty_one_give_different_digests(school: School) -> None:
    scope: dict[str, Any] = {
        "school_group_id": school.group.pk,
        "establishment_ids": [school.establishment.pk],
        "school_year": None,
    }
    student = school.students[0]
    Person.objects.filter(pk=student.pk).update(ine=None)
    missing = state_digest(**scope)
    Person.objects.filter(pk=student.pk).update(ine="")
    assert state_digest(**scope) != missing


@pytest.mark.django_db(transaction=True)
def test_thresholds_are_evaluated_with_the_settings_in_force_at_the_new_export(
    school: School,
) -> None:
    _steady(school)
    students_unmatched = school.students[0]
    Person.objects.filter(pk=students_unmatched.pk).update(is_active=False)
    # One student in eight is now unmatched: the full pipeline runs and counts it.
    run = run_import(school, _export("2"), now=LATEST)
    assert SHORTCUT not in _messages(run)
    reference = run
    # Lowered to 0 % and blocking: the same file, exported again, is blocked as the full
    # pipeline would block it, not integrated on the strength of the earlier evaluation.
    threshold_settings_save(
        school_group_id=school.group.pk,
        settings={Control.STUDENTS_UNMATCHED: Setting(percent=0, blocking=True)},
    )
    blocked = run_import(school, _export("3"), now=LATEST + dt.timedelta(minutes=5))
    assert reference.status == ImportRun.Status.INTEGRATED
    assert blocked.status == ImportRun.Status.BLOCKED
    assert SHORTCUT not in _messages(blocked)


@pytest.mark.django_db(transaction=True)
def test_an_establishment_whose_uai_changed_rejects_the_export_as_the_full_pipeline_does(
    school: School,
) -> None:
    _steady(school)
    Establishment.objects.filter(pk=school.establishment.pk).update(uai=OTHER_UAI)
    run = run_import(school, _export("2"), now=LATEST)
    assert run.status == ImportRun.Status.REJECTED
    assert SHORTCUT not in _messages(run)


@pytest.mark.django_db(transaction=True)
def test_an_encrypted_export_is_copied_once_and_decrypted_once_per_run(
    school: School, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_path = tmp_path / "pronote.pem"
    public_pem = pronote_keys_create(private_key_path=key_path)
    encrypted = container_encrypt(
        edt_file(),
        recipients={"ENT-TEST": public_pem},
        uai=UAI,
        software="EDT 2025",
        exported_at=NOW,
    )
    copies: list[str] = []
    decryptions: list[int] = []
    local_copy, decrypt = steps._local_copy, container.container_decrypt

    def counted_copy(run: ImportRun) -> Iterator[Path]:
        copies.append(run.original_filename)
        return local_copy(run)

    def counted_decrypt(data: bytes, **options: Any) -> container.DecryptedExport:
        decryptions.append(len(data))
        return decrypt(data, **options)

    monkeypatch.setattr(steps, "_local_copy", counted_copy)
    monkeypatch.setattr(container, "container_decrypt", counted_decrypt)
    with override_settings(PRONOTE_PRIVATE_KEY_PATH=str(key_path), PRONOTE_PARTNER_NAME="ENT-TEST"):
        run = initialise(school, encrypted)

    assert run.source_format == "INDEX_EDUCATION_ENCRYPTED"
    assert run.content_fingerprint == payload_fingerprint(edt_file())
    assert len(copies) == 1
    assert decryptions == [len(encrypted)]
