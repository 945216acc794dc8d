"""A manager's pages on a phone-sized screen (390 px wide): nothing widens the page, so
nothing is cut off or needs the whole page scrolled sideways; wide tables and the week
scroll inside their own box."""

from __future__ import annotations

from imports.models import ImportRun, ImportStep
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, Personas
from tests.deposits.conftest import initialise_school_group, make_depositor
from tests.factories import ImportRunFactory


def test_no_page_of_a_manager_is_wider_than_a_phone_screen(
    browser_page: object, personas: Personas
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})  # type: ignore[attr-defined]
    run = initialise_school_group(personas.group_a)
    make_depositor(personas.group_a, personas.charlie)
    group_id = personas.group_a.pk
    log_in(page, "alice", PASSWORD)
    paths = [
        "/",
        f"/cites/{group_id}/",
        f"/cites/{group_id}/annee-scolaire/",
        f"/cites/{group_id}/imports/",
        f"/cites/{group_id}/imports/{run.pk}/",
        f"/cites/{group_id}/imports/manuel/",
        f"/cites/{group_id}/imports/seuils/",
        f"/cites/{group_id}/import-automatise/comptes/",
        "/comptes/messages/",
    ]

    widths = {}
    for path in paths:
        page.goto(path)  # type: ignore[attr-defined]
        widths[path] = page.evaluate("() => document.documentElement.scrollWidth")  # type: ignore[attr-defined]

    assert {path: width for path, width in widths.items() if width > 390} == {}
    assert page.get_by_role("button", name="Se déconnecter").is_visible()  # type: ignore[attr-defined]


def test_the_history_on_a_laptop_screen_shows_its_last_column_with_long_file_names(
    browser_page: object, personas: Personas
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})  # type: ignore[attr-defined]
    initialise_school_group(personas.group_a)
    run = ImportRunFactory(
        school_group=personas.group_a,
        status=ImportRun.Status.PREVIEWED,
        file="deposits/udt.zip",
        original_filename="0804582W_20260828174205_UDT_export_automatique_complet.zip",
        sha256="1" * 64,
        size=262_000,
    )
    ImportStep.objects.create(
        run=run,
        position=1,
        name="seuils",
        outcome=ImportStep.Outcome.INTERRUPTED,
        message="Seuil bloquant dépassé : % de périodes de fermeture ajoutées ; "
        "% de périodes de fermeture supprimées ; % de groupes non rapprochés",
    )
    log_in(page, "alice", PASSWORD)

    page.goto(f"/cites/{personas.group_a.pk}/imports/")  # type: ignore[attr-defined]

    table = page.locator(".table-container")  # type: ignore[attr-defined]
    assert table.evaluate("box => box.scrollWidth <= box.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366  # type: ignore[attr-defined]
