"""The preview of an import's changes, per class or group and per teacher (design §9)."""

from __future__ import annotations

from collections import Counter

from django.test import Client

from accounts.models import User
from ent.models import Session
from imports.models import ImportRun
from imports.thresholds import Control
from tests.imports.pipeline_support import (
    School,
    default_courses,
    edt_file,
    initialise,
    moved,
    run_import,
    school,
)
from tests.imports.test_pipeline_thresholds import EVENING, only_blocking

__all__ = ["school"]


def _row(rows: list[dict[str, object]], prefix: str) -> dict[str, object]:
    (found,) = [row for row in rows if str(row["label"]).startswith(prefix)]
    return found


def test_a_blocked_change_shows_what_it_would_do_per_class_and_teacher(school: School) -> None:
    initialise(school)
    only_blocking(school, Control.SERVICES_MODIFIED, 0)
    sessions = Session.objects.count()
    courses = moved(default_courses(), 0, teacher=7)  # Monday 08:00, 6A: MARTIN → SIMON

    run = run_import(school, edt_file(courses), now=EVENING)

    assert run.status == ImportRun.Status.BLOCKED
    assert Session.objects.count() == sessions  # previewed, not applied
    changes = run.bilan["changes"]
    moved_class = _row(changes["by_audience"], "6A")
    assert moved_class["added"] == moved_class["removed"] > 0
    assert moved_class["changed"] == 0
    assert [row["label"] for row in changes["by_audience"]] == ["6A"]
    martin, simon = _row(changes["by_teacher"], "MARTIN"), _row(changes["by_teacher"], "SIMON")
    assert (martin["added"], martin["removed"]) == (0, moved_class["removed"])
    assert (simon["added"], simon["removed"]) == (moved_class["added"], 0)
    client = Client()
    client.force_login(User.objects.create_superuser("plateforme"))
    page = client.get(f"/cites/{school.group.pk}/imports/{run.pk}/").content.decode()
    assert "Changements prévus (non appliqués)" in page
    assert "SIMON" in page


def test_a_first_import_counts_every_session_it_creates_per_class(school: School) -> None:
    run = initialise(school)

    added = {row["label"]: row["added"] for row in run.bilan["changes"]["by_audience"]}

    per_class = Counter(
        Session.objects.filter(teaching_service__classes__isnull=False).values_list(
            "teaching_service__classes__code", flat=True
        )
    )
    for code, count in per_class.items():
        assert added[code] == count
    assert all(row["removed"] == 0 for row in run.bilan["changes"]["by_audience"])
