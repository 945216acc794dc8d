"""One-shot confirmations: a preview is confirmed once, a blocked run applied once, with links."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from accounts.models import User
from imports.models import ImportRun
from imports.services.confirmations import (
    ConfirmationRefused,
    OlderThanCurrent,
    run_confirm,
)
from tests.factories import ImportRunFactory
from tests.imports.pipeline_support import (
    NOW,
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
MANUAL = ImportRun.Mode.MANUAL
LATER = NOW + dt.timedelta(minutes=5)


def _manager(school: School) -> tuple[Client, User]:
    user = User.objects.create_superuser("claire", first_name="Claire", last_name="Roux")
    client = Client()
    client.force_login(user)
    return client, user


def test_a_second_click_on_confirm_creates_no_new_run(school: School) -> None:
    client, _user = _manager(school)
    preview = run_import(school, edt_file(), mode=MANUAL, preview_only=True)
    url = f"/cites/{school.group.pk}/imports/{preview.pk}/appliquer/"

    client.post(url)
    second = client.post(url, follow=True)

    confirmed = ImportRun.objects.get(origin=preview)
    assert ImportRun.objects.count() == 2
    page = html.unescape(second.content.decode())
    assert f"a déjà été confirmé : c'est l'import n° {confirmed.pk}" in page
    assert '<button type="submit" class="primary">Confirmer et appliquer' not in page


def test_the_database_refuses_a_second_run_from_the_same_preview(school: School) -> None:
    preview = run_import(school, edt_file(), mode=MANUAL, preview_only=True)
    run_confirm(run=preview, user_id=None, now=LATER)
    first = ImportRun.objects.get(origin=preview)

    with pytest.raises(IntegrityError), transaction.atomic():
        ImportRunFactory(
            school_group=school.group,
            mode=MANUAL,
            sha256=first.sha256,
            received_at=LATER,
            origin=preview,
            origin_kind=ImportRun.Origin.CONFIRMATION,
        )


def test_a_confirmed_run_is_manual_records_the_user_and_links_both_ways(school: School) -> None:
    client, user = _manager(school)
    preview = run_import(school, edt_file(), mode=MANUAL, preview_only=True)

    client.post(f"/cites/{school.group.pk}/imports/{preview.pk}/appliquer/")
    confirmed = ImportRun.objects.get(origin=preview)
    process(school, now=LATER)

    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.mode, confirmed.deposited_by) == (
        ImportRun.Status.INTEGRATED,
        MANUAL,
        user,
    )
    assert confirmed.origin_kind == ImportRun.Origin.CONFIRMATION
    preview_page = client.get(f"/cites/{school.group.pk}/imports/{preview.pk}/").content.decode()
    confirmed_page = client.get(
        f"/cites/{school.group.pk}/imports/{confirmed.pk}/"
    ).content.decode()
    assert f'href="/cites/{school.group.pk}/imports/{confirmed.pk}/"' in preview_page
    assert f'href="/cites/{school.group.pk}/imports/{preview.pk}/"' in confirmed_page
    assert "Claire Roux" in confirmed_page
    assert "confirmé par" in confirmed_page
    bilan = client.get(f"/cites/{school.group.pk}/imports/{confirmed.pk}/bilan.txt")
    assert (
        f"Origine : Confirmation d'un aperçu (import n° {preview.pk}), par Claire Roux"
        in bilan.content.decode()
    )


def test_a_blocked_run_is_applied_once(school: School) -> None:
    initialise(school)
    courses = default_courses()[:40]
    blocked = run_import(school, edt_file(courses), now=LATER)
    assert blocked.status == ImportRun.Status.BLOCKED

    forced = run_confirm(run=blocked, user_id=None, now=LATER)
    with pytest.raises(ConfirmationRefused) as refused:
        run_confirm(run=blocked, user_id=None, now=LATER)

    assert refused.value.produced == forced
    assert (forced.mode, forced.origin_kind) == (MANUAL, ImportRun.Origin.FORCED)
    assert ImportRun.objects.filter(origin=blocked).count() == 1


def test_applying_an_older_file_asks_a_second_confirmation_naming_the_newer_run(
    school: School,
) -> None:
    client, _user = _manager(school)
    initialise(school)
    old_preview = run_import(school, edt_file(), now=LATER, mode=MANUAL, preview_only=True)
    courses = moved(default_courses(), 0, room=4)
    newer = run_import(
        school, edt_file(courses), now=LATER + dt.timedelta(hours=1), mode=MANUAL, apply_anyway=True
    )
    assert newer.status == ImportRun.Status.INTEGRATED
    url = f"/cites/{school.group.pk}/imports/{old_preview.pk}/appliquer/"

    with pytest.raises(OlderThanCurrent) as older:
        run_confirm(run=old_preview, user_id=None, now=LATER)
    page = html.unescape(client.post(url).content.decode())
    runs_before = ImportRun.objects.count()
    confirmed = client.post(url, {"accept_older": "1"})

    assert older.value.newer == newer
    assert f"avant l'import n° {newer.pk}" in page
    assert 'name="accept_older"' in page
    assert ImportRun.objects.count() == runs_before + 1
    produced = ImportRun.objects.get(origin=old_preview)
    assert confirmed["Location"] == f"/cites/{school.group.pk}/imports/{produced.pk}/"
