"""Retention: old deposited files and never-integrated runs go; integrated runs stay."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from deposits.retention import retention_apply_all
from imports.models import ImportRun, ImportStep
from imports.services.retention import bilan_cutoff, deposit_cutoff, retention_apply
from tests.conftest import Personas

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _media(settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]


def _run(personas: Personas, received_at: dt.datetime, status: str) -> ImportRun:
    run = ImportRun(
        school_group=personas.group_a,
        mode=ImportRun.Mode.AUTOMATIC,
        status=status,
        original_filename="EDT.xml",
        sha256="b" * 64,
        size=5,
        received_at=received_at,
        bilan={"text": "bilan"},
    )
    run.file.save("EDT.xml", ContentFile(b"<EDT/>"), save=False)
    run.save()
    ImportStep.objects.create(run=run, position=1, name="validation", outcome="OK")
    return run


def test_deposits_of_the_current_and_previous_school_year_are_kept() -> None:
    assert deposit_cutoff(NOW) == dt.datetime(2025, 8, 1, tzinfo=PARIS)
    assert deposit_cutoff(dt.datetime(2026, 7, 10, tzinfo=PARIS)) == dt.datetime(
        2024, 8, 1, tzinfo=PARIS
    )
    assert bilan_cutoff(NOW) == dt.datetime(2021, 11, 26, 10, 0, tzinfo=PARIS)


def test_an_old_deposited_file_is_deleted_and_its_run_keeps_its_record(
    personas: Personas,
) -> None:
    old = _run(personas, dt.datetime(2025, 7, 20, tzinfo=PARIS), ImportRun.Status.INTEGRATED)
    recent = _run(personas, dt.datetime(2025, 9, 3, tzinfo=PARIS), ImportRun.Status.DUPLICATE)
    waiting = _run(personas, dt.datetime(2025, 7, 20, tzinfo=PARIS), ImportRun.Status.RECEIVED)
    old_name = old.file.name

    report = retention_apply(now=NOW)

    assert report.files_deleted == 1
    old.refresh_from_db()
    assert not old.file
    assert not default_storage.exists(old_name)
    assert old.bilan == {"text": "bilan"} and old.steps.count() == 1
    assert default_storage.exists(recent.file.name)
    assert default_storage.exists(waiting.file.name)


def test_runs_never_integrated_go_after_five_years_and_integrated_ones_stay(
    personas: Personas,
) -> None:
    ancient = dt.datetime(2021, 6, 1, tzinfo=PARIS)
    integrated = _run(personas, ancient, ImportRun.Status.INTEGRATED)
    rejected = _run(personas, ancient, ImportRun.Status.REJECTED)
    younger = _run(personas, dt.datetime(2022, 6, 1, tzinfo=PARIS), ImportRun.Status.REJECTED)

    report = retention_apply(now=NOW)

    assert report.runs_deleted == 1
    assert not ImportRun.objects.filter(pk=rejected.pk).exists()
    assert not ImportStep.objects.filter(run_id=rejected.pk).exists()
    assert ImportRun.objects.get(pk=integrated.pk).bilan == {"text": "bilan"}
    assert ImportRun.objects.filter(pk=younger.pk).exists()


def test_spool_leftovers_are_removed_and_live_accounts_kept(
    personas: Personas, tmp_path: Path
) -> None:
    from tests.deposits.webdav.conftest import make_depositor

    depositor = make_depositor(personas.group_a, personas.charlie)
    spool = tmp_path / "spool"
    (spool / "tmp").mkdir(parents=True)
    stale, fresh = spool / "tmp" / "put-old", spool / "tmp" / "put-new"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    two_days_ago = (NOW - dt.timedelta(days=2)).timestamp()
    os.utime(stale, (two_days_ago, two_days_ago))
    os.utime(fresh, (NOW.timestamp(), NOW.timestamp()))
    live = spool / "accounts" / str(depositor.account.pk) / str(personas.group_a.pk)
    live.mkdir(parents=True)
    (live / "EDT.xml").write_bytes(b"x")
    os.utime(live / "EDT.xml", (NOW.timestamp(), NOW.timestamp()))
    gone = spool / "accounts" / "999999"
    gone.mkdir(parents=True)

    report = retention_apply_all(now=NOW, spool_dir=spool)

    assert not stale.exists() and fresh.exists()
    assert not gone.exists()
    assert (live / "EDT.xml").exists()
    assert report.spool_folders_deleted == 1


def test_the_download_of_a_file_past_retention_says_so_in_french(
    personas: Personas, client: Client
) -> None:
    old = _run(personas, dt.datetime(2025, 7, 20, tzinfo=PARIS), ImportRun.Status.INTEGRATED)
    retention_apply(now=NOW)
    client.force_login(personas.alice)

    response = client.get(
        reverse("imports:run_file", args=[personas.group_a.pk, old.pk]), follow=True
    )

    assert "plus conservé (durée de conservation des dépôts dépassée)" in response.content.decode()


def test_a_kept_file_downloads_whole(personas: Personas, client: Client) -> None:
    run = _run(personas, dt.datetime(2026, 9, 3, tzinfo=PARIS), ImportRun.Status.INTEGRATED)
    client.force_login(personas.alice)

    response = client.get(reverse("imports:run_file", args=[personas.group_a.pk, run.pk]))

    assert b"".join(response.streaming_content) == b"<EDT/>"
    assert 'filename="EDT.xml"' in response["Content-Disposition"]
