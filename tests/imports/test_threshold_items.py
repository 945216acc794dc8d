"""The items a threshold control names, on the run page and in the bilan text.

A run covering the two establishments of a cité scolaire names the establishment of each
item (the same subject or closing period exists in both); a run of one establishment does
not. A deleted service whose subject the file no longer has is named by the ENT's label.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from devtools.samples import SampleFiles, generate_sample, write_sample
from ent.models import Establishment, SchoolGroup
from imports.bilan import bilan_render_text
from imports.models import ImportRun
from imports.thresholds import Control
from tests.factories import RoleFactory
from tests.imports.pipeline_support import (
    PARIS,
    School,
    default_courses,
    edt_file,
    initialise,
    run_import,
    school,
)
from tests.imports.sample_support import sample_import, sample_school_group

__all__ = ["school"]

SAMPLE = generate_sample("medium", seed=11, start_year=2026)
NOW = dt.datetime(2026, 11, 17, 12, 30, tzinfo=PARIS)


def _items(run: ImportRun, control: Control) -> list[str]:
    (found,) = [t for t in run.bilan["thresholds"] if t["control"] == control.value]
    return list(found["items"])


def _page(group: SchoolGroup, run: ImportRun) -> str:
    client = Client()
    client.force_login(RoleFactory(school_group=group).user)
    response = client.get(reverse("imports:run_detail", args=[group.pk, run.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def files(tmp_path: Path) -> SampleFiles:
    return write_sample(SAMPLE, tmp_path)


@pytest.fixture
def cite(db: None, files: SampleFiles) -> SchoolGroup:
    return sample_school_group(SAMPLE, files)


def test_threshold_items_of_a_run_covering_both_establishments_name_their_establishment(
    cite: SchoolGroup, files: SampleFiles
) -> None:
    names = sorted(Establishment.objects.filter(school_group=cite).values_list("name", flat=True))
    assert len(names) == 2

    run = sample_import(cite, files.edt_xml, now=NOW, apply_anyway=True)

    assert run.status == ImportRun.Status.INTEGRATED
    subjects = _items(run, Control.SUBJECTS_CREATED)
    closings = _items(run, Control.CLOSINGS_ADDED)
    assert subjects and closings
    for item in subjects + closings:
        assert any(item.endswith(f" — {name}") for name in names), item
    # The same closing period in both establishments: two items that tell them apart.
    assert len(set(closings)) == len(closings)
    assert {item.rsplit(" — ", 1)[1] for item in closings} == set(names)
    page, text = _page(cite, run), bilan_render_text(run)
    for item in subjects[:3] + closings[:3]:
        assert item in page
        assert item in text


def test_threshold_items_of_a_single_establishment_run_name_no_establishment(
    school: School,
) -> None:
    run = initialise(school)

    closings = _items(run, Control.CLOSINGS_ADDED)

    assert closings
    assert not any(" — " in item for item in closings)
    assert school.establishment.name not in bilan_render_text(run).split("Seuils :", 1)[1]


def test_a_deleted_service_whose_subject_left_the_file_is_named_by_the_ent_label(
    school: School,
) -> None:
    initialise(school)
    without_latin = [c for c in default_courses() if c.subject != "6"]

    run = run_import(school, edt_file(without_latin), now=NOW + dt.timedelta(hours=10))

    deleted = _items(run, Control.SERVICES_DELETED)
    assert deleted == ["Latin (LATIN)"]
    assert "Latin (LATIN)" in _page(school.group, run)
    assert "LCALA" not in bilan_render_text(run)
