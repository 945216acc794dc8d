"""The manager fixes an unmatched teacher in a real browser, starting from the run's page."""

from __future__ import annotations

import re

from ent.models import Person
from imports.models import ManualMatch
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.factories import RoleFactory
from tests.imports.pipeline_support import School, initialise, school

__all__ = ["school"]


def test_the_manager_matches_an_unmatched_teacher_from_the_run_page(
    browser_page: object, school: School
) -> None:
    page = browser_page
    manager = RoleFactory(user__username="manon", school_group=school.group).user
    dupont = school.teachers[0]
    Person.objects.filter(pk=dupont.pk).update(pronote_idpn="", last_name="DUPONT-LAMBERT")
    dupont.refresh_from_db()
    dupont.save()
    run = initialise(school)
    assert run.bilan["unmatched"]["teachers"] == ["DUPONT Claire"]

    log_in(page, manager.username, PASSWORD)
    page.goto(f"/cites/{school.group.pk}/imports/{run.pk}/")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Rapprocher à la main").click()  # type: ignore[attr-defined]
    row = page.locator("tr", has_text="DUPONT Claire")  # type: ignore[attr-defined]
    row.get_by_label("Nom ou prénom").fill("dupont")
    row.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name="Choisir DUPONT-LAMBERT Claire").click()  # type: ignore[attr-defined]

    assert page.get_by_text(  # type: ignore[attr-defined]
        re.compile("« DUPONT Claire » est rapproché de « DUPONT-LAMBERT Claire »")
    ).is_visible()
    match = ManualMatch.objects.get(school_group=school.group)
    assert (match.kind, match.source_key, match.person_id, match.created_by_id) == (
        "TEACHER",
        "a:PN-1",
        dupont.pk,
        manager.pk,
    )
    teacher_row = page.locator("tr", has_text="DUPONT Claire")  # type: ignore[attr-defined]
    assert teacher_row.get_by_role("button", name="Supprimer").is_visible()
    assert page.get_by_role("link", name="Lancer un import manuel").is_visible()  # type: ignore[attr-defined]
