"""Preview-only manual imports: everything is computed, nothing is written, then confirmed."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from accounts.models import Message, User
from ent.models import Session, TeachingService
from imports.models import ImportRun, ImportStep
from imports.selectors import establishments_initialised
from imports.services.confirmations import run_confirm
from tests.imports.pipeline_support import (
    NOW,
    School,
    edt_file,
    initialise,
    process,
    run_import,
    school,
)

__all__ = ["school"]
MANUAL = ImportRun.Mode.MANUAL


def test_a_preview_computes_everything_writes_nothing_and_initialises_nothing(
    school: School,
) -> None:
    run = run_import(school, edt_file(), mode=MANUAL, preview_only=True)

    assert run.status == ImportRun.Status.PREVIEWED
    assert not Session.objects.exists()
    assert not TeachingService.objects.exists()
    assert {t["control"] for t in run.bilan["thresholds"]} >= {"SUBJECTS_CREATED"}
    added = sum(row["added"] for row in run.bilan["changes"]["by_teacher"])
    assert added > 0
    step = run.steps.get(name="aperçu")
    assert step.outcome == ImportStep.Outcome.WARNING  # everything is new: blocking exceeded
    assert "rien n'a été appliqué" in step.message
    assert "Confirmer et appliquer" in step.action
    today = NOW.date()
    assert establishments_initialised(school.group, today=today) == set()


def test_confirming_a_preview_applies_the_same_file_as_a_new_run(school: School) -> None:
    preview = run_import(school, edt_file(), mode=MANUAL, preview_only=True)
    later = NOW + dt.timedelta(minutes=5)

    confirmed = run_confirm(run=preview, user_id=None, now=later)
    process(school, now=later)

    confirmed.refresh_from_db()
    assert confirmed.status == ImportRun.Status.INTEGRATED
    assert (confirmed.mode, confirmed.apply_anyway, confirmed.preview_only) == (MANUAL, True, False)
    assert confirmed.sha256 == preview.sha256
    assert confirmed.counters["sessions_created"] == Session.objects.count() > 0
    preview.refresh_from_db()
    assert preview.status == ImportRun.Status.PREVIEWED


def test_a_preview_of_an_unchanged_timetable_shows_no_change_and_passes_its_thresholds(
    school: School,
) -> None:
    initialise(school)
    sessions = set(Session.objects.values_list("pk", "starts_at"))

    run = run_import(school, edt_file(comment="re-export"), mode=MANUAL, preview_only=True, now=NOW)

    assert run.status == ImportRun.Status.PREVIEWED
    assert run.steps.get(name="aperçu").outcome == ImportStep.Outcome.OK
    assert run.bilan["changes"] == {"by_audience": [], "by_teacher": []}
    assert set(Session.objects.values_list("pk", "starts_at")) == sessions


def test_a_preview_sends_no_notification(school: School) -> None:
    messages = Message.objects.count()

    run_import(school, edt_file(), mode=MANUAL, preview_only=True)

    assert Message.objects.count() == messages


def test_the_pages_offer_a_preview_first_and_confirm_it_in_one_click(school: School) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("plateforme"))
    form = client.get(f"/cites/{school.group.pk}/imports/manuel/").content.decode()
    preview = run_import(school, edt_file(), mode=MANUAL, preview_only=True)
    url = f"/cites/{school.group.pk}/imports/{preview.pk}/"

    page = client.get(url).content.decode()
    response = client.post(url + "appliquer/")

    assert 'id="id_preview_only" checked' in form
    assert "Aperçu (non appliqué)" in page
    assert "Confirmer et appliquer" in page
    assert "Changements prévus (non appliqués)" in page
    retry = ImportRun.objects.exclude(pk=preview.pk).get()
    assert response["Location"] == f"/cites/{school.group.pk}/imports/{retry.pk}/"
    assert (retry.status, retry.apply_anyway) == (ImportRun.Status.RECEIVED, True)
