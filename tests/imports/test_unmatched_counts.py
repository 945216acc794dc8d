"""The bilan and the manual matching page count the file's unmatched entities the same way.

An UnDeuxTEMPS publication repeats a group in each of its divisions (one ``gpe`` row per
division, one name): the bilan once counted those rows (45 groups) while the matching page
listed names (39). Both now read the run's one list of entities (``unmatched_entries``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from devtools.samples import SampleFiles, generate_sample, write_sample
from ent.models import SchoolGroup, TeachingGroup
from imports.bilan import bilan_render_text
from imports.models import ImportRun
from imports.parsers import ParseContext
from imports.parsers.undeuxtemps import parse_undeuxtemps_zip
from imports.report import report_of
from imports.thresholds import Control
from tests.conftest import PASSWORD
from tests.factories import RoleFactory
from tests.imports.sample_support import sample_import, sample_school_group

PARIS = ZoneInfo("Europe/Paris")
SAMPLE = generate_sample("small", seed=11, start_year=2026)
NOW = dt.datetime(2026, 11, 17, 12, 30, tzinfo=PARIS)


@pytest.fixture
def files(tmp_path: Path) -> SampleFiles:
    return write_sample(SAMPLE, tmp_path)


@pytest.fixture
def group(db: None, files: SampleFiles) -> SchoolGroup:
    """The sample's directory without its teaching groups: every group of the file is new."""
    group = sample_school_group(SAMPLE, files)
    TeachingGroup.objects.filter(establishment__school_group=group).delete()
    return group


def _page_groups(group: SchoolGroup, run: ImportRun) -> list[str]:
    client = Client()
    manager = RoleFactory(user__username="manon", school_group=group).user
    assert client.login(username=manager.username, password=PASSWORD)
    page = client.get(f"/cites/{group.pk}/imports/{run.pk}/rapprochements/").content.decode()
    section = page.split('data-kind="GROUP"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<td><strong>([^<]+)</strong>", section)


def test_the_udt_bilan_counts_as_many_unmatched_groups_as_the_matching_page_lists(
    group: SchoolGroup, files: SampleFiles
) -> None:
    timetable = parse_undeuxtemps_zip(files.udt_zip, context=ParseContext())
    rows_per_name = Counter(g.name for g in timetable.groups.values())
    # The publication repeats groups across divisions: rows outnumber names.
    assert len(timetable.groups) > len(rows_per_name)

    run = sample_import(group, files.udt_zip, now=NOW, apply_anyway=True)

    assert run.status == ImportRun.Status.INTEGRATED, [s.message for s in run.steps.all()]
    listed = _page_groups(group, run)
    assert sorted(listed) == sorted(rows_per_name)
    assert len(listed) == len(set(listed))
    report = report_of(run)
    assert report.unmatched["groups"] == sorted(listed)
    text = bilan_render_text(run)
    assert f"Groupes non rapprochés ({len(listed)}) :" in text
    note = run.steps.get(name="rapprochement").message
    assert f"0/{len(listed)} groupes" in note
    [groups_control] = [t for t in report.thresholds if t.control == Control.GROUPS_UNMATCHED]
    assert (groups_control.numerator, groups_control.denominator) == (len(listed), len(listed))
    unmatched_total = sum(len(report.unmatched[k]) for k in ("teachers", "students", "groups"))
    assert f"{unmatched_total} élément(s) non rapproché(s)" in note
    assert report.unmatched_entries_total == unmatched_total


def test_the_edt_bilan_counts_unmatched_class_parts_with_the_groups_as_the_page_does(
    group: SchoolGroup, files: SampleFiles
) -> None:
    run = sample_import(group, files.edt_xml, now=NOW, apply_anyway=True)

    listed = _page_groups(group, run)
    report = report_of(run)
    assert any(" GR" in name for name in listed)  # half-classes are among the groups
    assert report.unmatched["groups"] == sorted(listed)
    assert f"Groupes non rapprochés ({len(listed)}) :" in bilan_render_text(run)
    assert f"0/{len(listed)} groupes" in run.steps.get(name="rapprochement").message
