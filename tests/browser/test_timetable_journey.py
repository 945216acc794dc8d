"""See, verify and undo an import in a real browser: history → run → change list → class
week → next week; one-shot confirmations; a rollback previewed then confirmed; a calendar feed
downloaded and parsed.

With ``ENT_SCREENSHOTS=<folder>`` the journeys also save the screenshots kept in ``docs/``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import icalendar
from playwright.sync_api import expect

from ent.models import CalendarFeed, ClosingPeriod, Session, SessionContent, TeachingService
from imports.models import ImportRun
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD
from tests.factories import RoleFactory
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
LATER = dt.datetime(2026, 11, 17, 19, 0, tzinfo=PARIS)
ROLLBACK_AT = dt.datetime(2026, 11, 18, 12, 0, tzinfo=PARIS)


def _v2() -> bytes:
    courses = moved(default_courses(), 0, day=2, place=0)  # 6A Monday 08:00 → Tuesday
    courses = moved(courses, 2, room=4)
    courses = moved(courses, 5, teacher=8)
    del courses[25]
    return edt_file(courses)


def _manager(school: School, page: object) -> object:
    manager = RoleFactory(
        user__username="manon",
        user__first_name="Manon",
        user__last_name="Leroux",
        school_group=school.group,
    ).user
    page.set_viewport_size({"width": 1360, "height": 900})  # type: ignore[attr-defined]
    log_in(page, manager.username, PASSWORD)
    return manager


def _decorate_week(school: School) -> None:
    """Content, a hand-entered session and a closing day in the week of 30 November."""
    klass = school.classes[0]
    monday = dt.datetime(2026, 11, 30, tzinfo=PARIS)
    first = (
        Session.objects.filter(teaching_service__classes=klass, starts_at__gte=monday)
        .order_by("starts_at")
        .first()
    )
    SessionContent.objects.create(
        session=first, content="Les fractions", homework="Exercices 3 et 4 p. 52"
    )
    Session.objects.create(
        teaching_service=TeachingService.objects.filter(classes=klass).first(),
        starts_at=dt.datetime(2026, 12, 2, 14, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2026, 12, 2, 16, 0, tzinfo=PARIS),
        room="CDI",
        source=Session.Source.MANUAL,
    )
    ClosingPeriod.objects.create(
        establishment=school.establishment,
        start_date=dt.date(2026, 12, 4),
        end_date=dt.date(2026, 12, 5),
        label="Journée pédagogique",
        source=ClosingPeriod.Source.MANUAL,
    )


def test_history_run_change_list_class_week_and_next_week(
    browser_page: object, school: School
) -> None:
    page = browser_page
    initialise(school)
    v2 = run_import(school, _v2(), now=LATER, mode=ImportRun.Mode.MANUAL, apply_anyway=True)
    _decorate_week(school)
    _manager(school, page)

    page.goto(f"/cites/{school.group.pk}/imports/")  # type: ignore[attr-defined]
    row = page.locator("tr", has_text=f"{v2.received_at.astimezone(PARIS):%d/%m/%Y %H:%M}")  # type: ignore[attr-defined]
    row.get_by_role("link", name="Voir").click()
    page.get_by_role("link", name="Voir les séances modifiées").click()  # type: ignore[attr-defined]
    expect(
        page.get_by_role("heading", name=f"Séances modifiées par l'import n° {v2.pk}")
    ).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Classe ou groupe").fill("6A")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filtrer").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("Modifiée").first).to_be_visible()  # type: ignore[attr-defined]
    screenshot(page, "change-list.png")
    rows = page.locator("[data-changes=list] tbody tr")  # type: ignore[attr-defined]
    rows.first.get_by_role("link", name="6A", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Classe 6A"))).to_be_visible()  # type: ignore[attr-defined]
    page.get_by_label("Aller au").fill("2026-11-30")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Afficher").click()  # type: ignore[attr-defined]
    title = page.locator("[data-week=title]")  # type: ignore[attr-defined]
    expect(title).to_have_text("Semaine du lundi 30 novembre 2026")
    expect(page.get_by_text("Les fractions")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".session.manual")).to_have_count(1)  # type: ignore[attr-defined]
    expect(page.get_by_text("Journée pédagogique (saisie manuelle)")).to_be_visible()  # type: ignore[attr-defined]
    # Under the strict Content-Security-Policy the grid is laid out by its script, not by
    # inline styles: sessions stand in their day's column at their time.
    expect(page.locator(".week.placed")).to_have_count(1)  # type: ignore[attr-defined]
    first = page.locator("[data-session]").first  # type: ignore[attr-defined]
    assert first.evaluate("e => getComputedStyle(e).position") == "absolute"
    top = first.evaluate("e => e.style.top")
    assert top.endswith("%") and float(top[:-1]) == float(first.get_attribute("data-top"))
    screenshot(page, "timetable-week.png")
    page.get_by_role("link", name="Semaine suivante").click()  # type: ignore[attr-defined]

    expect(title).to_have_text("Semaine du lundi 7 décembre 2026")
    assert page.locator("[data-session]").count() > 15  # type: ignore[attr-defined]


def test_a_preview_is_confirmed_once_and_a_blocked_run_applied_once(
    browser_page: object, school: School
) -> None:
    page = browser_page
    _manager(school, page)
    preview = run_import(school, edt_file(), mode=ImportRun.Mode.MANUAL, preview_only=True)
    second_tab = page.context.new_page()  # type: ignore[attr-defined]
    url = f"/cites/{school.group.pk}/imports/{preview.pk}/"
    page.goto(url)  # type: ignore[attr-defined]
    second_tab.goto(url)

    page.get_by_role("button", name="Confirmer et appliquer").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("est reçu (import n°")).to_be_visible()  # type: ignore[attr-defined]
    second_tab.get_by_role("button", name="Confirmer et appliquer").click()

    confirmed = ImportRun.objects.get(origin=preview)
    expect(
        second_tab.get_by_text(
            f"L'import n° {preview.pk} a déjà été confirmé : c'est l'import n° {confirmed.pk}."
        )
    ).to_be_visible()
    assert ImportRun.objects.count() == 2
    process(school)
    second_tab.goto(url)
    expect(second_tab.get_by_role("link", name=f"import n° {confirmed.pk}")).to_be_visible()
    expect(second_tab.get_by_role("button", name="Confirmer et appliquer")).to_have_count(0)

    # Deposited after the confirmed run (received when clicked): not an older file.
    later = confirmed.received_at + dt.timedelta(minutes=1)
    blocked = run_import(school, edt_file(default_courses()[:40]), now=later)
    assert blocked.status == ImportRun.Status.BLOCKED
    url = f"/cites/{school.group.pk}/imports/{blocked.pk}/"
    page.goto(url)  # type: ignore[attr-defined]
    second_tab.goto(url)
    page.get_by_role("button", name="Appliquer quand même").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("est reçu (import n°")).to_be_visible()  # type: ignore[attr-defined]
    second_tab.get_by_role("button", name="Appliquer quand même").click()

    forced = ImportRun.objects.get(origin=blocked)
    expect(second_tab.get_by_text(f"c'est l'import n° {forced.pk}")).to_be_visible()
    assert (forced.mode, forced.deposited_by.username) == ("MANUAL", "manon")
    page.goto(f"/cites/{school.group.pk}/imports/{forced.pk}/")  # type: ignore[attr-defined]
    expect(page.get_by_text("appliqué malgré les seuils par Manon Leroux")).to_be_visible()  # type: ignore[attr-defined]


def test_a_rollback_is_previewed_then_confirmed(browser_page: object, school: School) -> None:
    page = browser_page
    v1 = initialise(school)
    run_import(school, _v2(), now=LATER, mode=ImportRun.Mode.MANUAL, apply_anyway=True)
    _manager(school, page)

    page.goto(f"/cites/{school.group.pk}/imports/{v1.pk}/")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Revenir à cet emploi du temps").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("un aperçu est en cours")).to_be_visible()  # type: ignore[attr-defined]
    preview = ImportRun.objects.get(origin=v1)
    process(school, now=ROLLBACK_AT)
    page.reload()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name=re.compile("Aperçu"))).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text(f"l'emploi du temps de l'import n° {v1.pk}")).to_be_visible()  # type: ignore[attr-defined]
    screenshot(page, "rollback-preview.png")
    page.get_by_role("button", name="Confirmer et appliquer").click()  # type: ignore[attr-defined]
    expect(page.get_by_text("est reçu (import n°")).to_be_visible()  # type: ignore[attr-defined]
    process(school, now=ROLLBACK_AT)
    page.reload()  # type: ignore[attr-defined]

    confirmed = ImportRun.objects.get(origin=preview)
    assert (confirmed.status, confirmed.rollback_of_id) == (ImportRun.Status.INTEGRATED, v1.pk)
    expect(page.get_by_role("heading", name=re.compile("Intégré"))).to_be_visible()  # type: ignore[attr-defined]
    expect(page.get_by_text("confirmé par Manon Leroux")).to_be_visible()  # type: ignore[attr-defined]


def test_a_calendar_feed_is_created_downloaded_and_parsed(
    browser_page: object, school: School, live_server: object, settings: object
) -> None:
    page = browser_page
    settings.ENT_PUBLIC_URL = live_server.url  # type: ignore[attr-defined]
    initialise(school, now=NOW)
    _manager(school, page)
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"

    page.goto(f"{base}/classe/{school.classes[0].pk}/?semaine=2026-11-30")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Créer une adresse d'abonnement").click()  # type: ignore[attr-defined]
    address = page.locator("[data-feed-url]").input_value()  # type: ignore[attr-defined]
    expect(page.get_by_text("Copiez cette adresse maintenant")).to_be_visible()  # type: ignore[attr-defined]
    page.locator("[data-feeds]").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    screenshot(page, "calendar-feed-created.png")
    with page.expect_download() as download_info:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Télécharger (.ics)").click()  # type: ignore[attr-defined]
    document = Path(download_info.value.path()).read_bytes()
    page.reload()  # type: ignore[attr-defined]
    expect(page.locator("[data-feed-prefix]")).to_have_text(  # type: ignore[attr-defined]
        f"…/agenda/{address.rsplit('/', 1)[1][:4]}…"
    )
    expect(page.locator("[data-feed-url]")).to_have_count(0)  # type: ignore[attr-defined]
    screenshot(page, "calendar-feed-listed.png")

    calendar = icalendar.Calendar.from_ical(document)
    events = list(calendar.walk("VEVENT"))
    pattern = rf"{re.escape(live_server.url)}/agenda/[A-Za-z0-9_-]{{43}}\.ics"  # type: ignore[attr-defined]
    assert re.fullmatch(pattern, address)
    assert len(events) > 500
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


def test_a_feed_form_sent_again_from_an_outdated_page_creates_no_second_address(
    browser_page: object, school: School
) -> None:
    page = browser_page
    initialise(school, now=NOW)
    _manager(school, page)
    base = f"/cites/{school.group.pk}/emplois-du-temps/{school.establishment.pk}"
    week = f"{base}/classe/{school.classes[0].pk}/?semaine=2026-11-30"
    page.goto(week)  # type: ignore[attr-defined]
    create = page.get_by_role("button", name="Créer une adresse d'abonnement")  # type: ignore[attr-defined]
    outdated = page.context.new_page()  # type: ignore[attr-defined]
    outdated.goto(week)

    create.click()
    expect(page.get_by_text("Copiez cette adresse maintenant")).to_be_visible()  # type: ignore[attr-defined]
    outdated.get_by_role("button", name="Créer une adresse d'abonnement").click()

    expect(outdated.get_by_text("aucune autre n'a été créée")).to_be_visible()
    expect(outdated.get_by_text("Semaine du lundi 30 novembre 2026")).to_be_visible()
    expect(page.get_by_text("Semaine du lundi 30 novembre 2026")).to_be_visible()  # type: ignore[attr-defined]
    outdated.locator("[data-feeds]").scroll_into_view_if_needed()
    screenshot(outdated, "calendar-feed-sent-twice.png")
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1
