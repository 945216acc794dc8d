"""Statuses tell problems apart and show calm outcomes calmly; the format appears once known."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from imports.models import ImportRun
from imports.status_display import STATUS_LOOKS
from tests.factories import RoleFactory
from tests.imports.pipeline_support import (
    School,
    deposit,
    edt_file,
    initialise,
    run_import,
    school,
)

__all__ = ["school"]

Status = ImportRun.Status
PROBLEMS = (Status.REJECTED, Status.FAILED, Status.BLOCKED)
CALM = (Status.INTEGRATED, Status.DUPLICATE, Status.SUPERSEDED, Status.PREVIEWED)


def _page(school: School, name: str, *args: int) -> str:
    client = Client()
    client.force_login(RoleFactory(school_group=school.group).user)
    response = client.get(reverse(name, args=[school.group.pk, *args]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_problem_has_its_own_symbol_and_colour_and_none_looks_like_a_calm_outcome() -> None:
    problem_looks = {(STATUS_LOOKS[s].symbol, STATUS_LOOKS[s].tone) for s in PROBLEMS}
    calm_tones = {STATUS_LOOKS[s].tone for s in CALM}

    assert len({STATUS_LOOKS[s].symbol for s in PROBLEMS}) == 3
    assert len({STATUS_LOOKS[s].tone for s in PROBLEMS}) == 3
    assert not {tone for _symbol, tone in problem_looks} & calm_tones
    assert all(STATUS_LOOKS[s].needs_action for s in PROBLEMS)
    assert not any(STATUS_LOOKS[s].needs_action for s in CALM)


def test_a_duplicate_run_shows_a_calm_status_and_no_interrupted_step(school: School) -> None:
    initialise(school)
    first = run_import(school, edt_file())
    duplicate = first if first.status == Status.DUPLICATE else run_import(school, edt_file())
    assert duplicate.status == Status.DUPLICATE

    page = _page(school, "imports:run_detail", duplicate.pk)

    assert 'class="status status-done" data-status="DUPLICATE"' in page
    assert "Arrêté, rien à faire" in page
    assert "Interrompu" not in page
    assert "status-rejected" not in page and "status-failed" not in page


def test_a_rejected_run_and_a_waiting_run_differ_in_the_history(school: School) -> None:
    rejected = run_import(school, b"<pas un emploi du temps/>", mode=ImportRun.Mode.MANUAL)
    waiting = deposit(school, edt_file(), mode=ImportRun.Mode.MANUAL)

    page = _page(school, "imports:run_list")

    assert rejected.status == Status.REJECTED
    assert 'status-rejected" data-status="REJECTED"' in page
    assert 'status-pending" data-status="RECEIVED"' in page
    detail = _page(school, "imports:run_detail", waiting.pk)
    assert re.search(r"<dt>Format</dt><dd>en attente d&#x27;analyse</dd>", detail)


def test_the_format_is_shown_once_the_file_is_analysed(school: School) -> None:
    run = initialise(school)

    page = _page(school, "imports:run_detail", run.pk)

    assert "<dt>Format</dt><dd>EDT / PRONOTE</dd>" in page
    assert "Inconnu" not in page
