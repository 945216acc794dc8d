"""Going back to an earlier timetable: the rollback re-imports that run's stored bytes."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from ent.models import (
    ClosingPeriod,
    GroupMembership,
    Session,
    SessionContent,
    Subject,
    TeachingGroup,
    TeachingService,
)
from imports.models import ImportRun, ImportStep, SessionChange
from imports.services.confirmations import (
    ConfirmationRefused,
    run_confirm,
    run_rollback,
    run_rollback_now,
)
from tests.imports.pipeline_support import (
    NOW,
    PARIS,
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    process,
    run_import,
    school,
)

__all__ = ["school"]
Status = ImportRun.Status
V2_AT = dt.datetime(2026, 11, 18, 19, 0, tzinfo=PARIS)
ROLLBACK_AT = dt.datetime(2026, 11, 25, 12, 30, tzinfo=PARIS)


def v2_courses() -> list:
    courses = default_courses()
    courses = moved(courses, 0, day=6, place=1)  # a course moved to Saturday
    courses = moved(courses, 5, teacher=8)  # another teacher
    del courses[10]  # a course removed
    return courses


def _sessions_from(moment: dt.datetime) -> set[tuple[str, dt.datetime, dt.datetime, str, int]]:
    return set(
        Session.objects.filter(starts_at__gte=moment).values_list(
            "teaching_service__key", "starts_at", "ends_at", "room", "source"
        )
    )


def _empty_timetable() -> None:
    """Remove everything the imports wrote: the ENT as before any timetable import."""
    SessionChange.objects.all().delete()
    ImportStep.objects.all().delete()
    ImportRun.objects.update(origin=None, origin_kind="", rollback_of=None)
    ImportRun.objects.all().delete()
    Session.objects.all().delete()
    TeachingService.objects.all().delete()
    Subject.objects.all().delete()
    GroupMembership.objects.filter(source=GroupMembership.Source.TIMETABLE).delete()
    TeachingGroup.objects.filter(source=TeachingGroup.Source.TIMETABLE).delete()
    ClosingPeriod.objects.all().delete()


def test_a_rollback_leaves_exactly_the_sessions_a_fresh_import_of_that_file_creates(
    school: School,
) -> None:
    v1 = initialise(school)
    v2 = run_import(
        school, edt_file(v2_courses()), now=V2_AT, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )
    assert v2.status == Status.INTEGRATED
    after_v2 = _sessions_from(ROLLBACK_AT)

    rolled = run_rollback_now(run_id=v1.pk, clock=lambda: ROLLBACK_AT)
    assert (rolled.status, rolled.rollback_of, rolled.mode) == (
        Status.INTEGRATED,
        v1,
        ImportRun.Mode.MANUAL,
    )
    after_rollback = _sessions_from(ROLLBACK_AT)
    _empty_timetable()
    initialise(school, now=ROLLBACK_AT)
    fresh = _sessions_from(ROLLBACK_AT)

    assert after_rollback != after_v2
    assert after_rollback == fresh
    assert len(fresh) > 1000


def test_a_rollback_from_the_pages_previews_first_then_applies_once_confirmed(
    school: School,
) -> None:
    user = User.objects.create_superuser("claire")
    client = Client()
    client.force_login(user)
    v1 = initialise(school)
    run_import(
        school, edt_file(v2_courses()), now=V2_AT, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )
    v1_page = client.get(f"/cites/{school.group.pk}/imports/{v1.pk}/").content.decode()

    response = client.post(f"/cites/{school.group.pk}/imports/{v1.pk}/revenir/")
    preview = ImportRun.objects.get(origin=v1)
    process(school, now=ROLLBACK_AT)
    preview.refresh_from_db()
    preview_page = client.get(response["Location"]).content.decode()
    changes = client.get(f"/cites/{school.group.pk}/imports/{preview.pk}/changements/")
    confirmed = run_confirm(run=preview, user_id=user.pk, now=ROLLBACK_AT)
    process(school, now=ROLLBACK_AT)
    confirmed.refresh_from_db()

    assert "Revenir à cet emploi du temps" in v1_page
    assert (preview.status, preview.origin_kind, preview.deposited_by) == (
        Status.PREVIEWED,
        ImportRun.Origin.ROLLBACK,
        user,
    )
    assert f"l&#x27;emploi du temps de l&#x27;import n° {v1.pk}" in preview_page
    assert "Confirmer et appliquer" in preview_page
    assert changes.status_code == 200
    assert SessionChange.objects.filter(run=preview).exists()
    assert (confirmed.status, confirmed.rollback_of, confirmed.origin) == (
        Status.INTEGRATED,
        v1,
        preview,
    )


def test_only_an_integrated_run_of_the_current_school_year_can_be_gone_back_to(
    school: School,
) -> None:
    preview = run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL, preview_only=True)

    with pytest.raises(ConfirmationRefused, match="n'a pas été intégré"):
        run_rollback(run=preview, user_id=None, now=NOW)
    with pytest.raises(CommandError, match="Aucun import"):
        call_command("timetable_rollback", "999999")


def test_the_command_goes_back_to_a_run_and_prints_the_new_run_as_json(school: School) -> None:
    v1 = initialise(school)
    run_import(
        school, edt_file(v2_courses()), now=V2_AT, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )
    out = StringIO()

    call_command("timetable_rollback", str(v1.pk), "--json", stdout=out)

    summary = json.loads(out.getvalue())
    run = ImportRun.objects.get(pk=summary["id"])
    assert (summary["status"], summary["rollback_of"], summary["mode"]) == (
        "INTEGRATED",
        v1.pk,
        "MANUAL",
    )
    assert (run.origin, run.origin_kind) == (v1, ImportRun.Origin.ROLLBACK)


def test_the_command_exits_non_zero_when_the_rollback_is_not_integrated(school: School) -> None:
    v1 = initialise(school)
    # Every future session carries content: going back would move some, a blocking control.
    run_import(
        school, edt_file(v2_courses()), now=V2_AT, mode=ImportRun.Mode.MANUAL, apply_anyway=True
    )
    SessionContent.objects.bulk_create(
        SessionContent(session=session, content="Chapitre 3")
        for session in Session.objects.filter(starts_at__gte=V2_AT)
    )
    out = StringIO()

    with pytest.raises(CommandError) as error:
        call_command("timetable_rollback", str(v1.pk), stdout=out)

    assert error.value.returncode == 1
    assert "Bloqué" in out.getvalue()
