"""The depositor account journey in a real browser: the head adds an account, its holder
reads the message, reveals the password once, and the link is spent afterwards; a holder
who left the directory is logged out and their account shown suspended."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from accounts.provisioning import directory_logins_close
from deposits.models import DepositorAccount
from ent.models import Person
from tests.browser.conftest import log_in, log_out, screenshot
from tests.conftest import PASSWORD, Personas
from tests.deposits.conftest import initialise_school_group, make_depositor, staff_member


def test_the_head_adds_a_depositor_who_reveals_the_credentials_exactly_once(
    browser_page: object, personas: Personas, live_server: object, settings: object
) -> None:
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    settings.ENT_PUBLIC_URL = live_server.url  # type: ignore[attr-defined]
    initialise_school_group(personas.group_a)
    group_id = personas.group_a.pk
    charlie = personas.charlie
    staff_member(personas.college_a, charlie.last_name, charlie.first_name, user=charlie)

    log_in(page, "hugo", PASSWORD)
    page.goto(f"/cites/{group_id}/import-automatise/comptes/")
    page.get_by_role("link", name=re.compile("Ajouter")).click()
    page.fill("input[name=q]", charlie.last_name)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("row", name=re.compile(charlie.username)).get_by_role(
        "button", name="Valider"
    ).click()

    account = DepositorAccount.objects.get(school_group=personas.group_a, user=charlie)
    assert account.login.startswith("emp.")
    assert page.get_by_text(f"Le compte d'accès {account.login} a été créé").is_visible()
    assert page.get_by_role("cell", name=account.login).is_visible()
    log_out(page)

    log_in(page, "charlie", PASSWORD)
    assert page.locator("a.inbox .badge").inner_text() == "1"
    page.get_by_role("link", name="Messagerie").click()
    page.locator("main a").filter(has_text=re.compile("accès|compte", re.I)).first.click()
    body = page.locator(".message-body").inner_text()
    assert account.login in body
    assert f"/webdav/{group_id}/" in body
    assert "mot de passe" in body.lower()
    page.get_by_role(
        "link", name="Afficher le mot de passe du compte d'accès (une seule fois)"
    ).click()
    reveal_url = page.url
    page.get_by_role("button", name="Afficher le mot de passe").click()

    password = page.locator("code.secret").inner_text()
    assert re.fullmatch(r"\S{10}", password)
    urls = [page.locator("dd input").nth(i).input_value() for i in range(3)]
    for url in urls:
        parts = urlsplit(url)
        assert (parts.username, parts.password) == (account.login, password)
        assert parts.path.startswith(f"/webdav/{group_id}/")
    assert {urlsplit(u).path for u in urls} == {
        f"/webdav/{group_id}/",
        f"/webdav/{group_id}/{personas.college_a.pk}/",
        f"/webdav/{group_id}/{personas.lycee_a.pk}/",
    }
    # Focusing a URL selects all of it, ready to copy, under the Content-Security-Policy.
    field = page.get_by_label("Tous les établissements")
    # The deferred script attaches its listener once the page is parsed: the fields can be
    # found a moment before that, as a person could not.
    page.wait_for_load_state("load")
    field.focus()
    selection = page.evaluate(
        "() => [document.activeElement.id, document.activeElement.selectionStart,"
        " document.activeElement.selectionEnd]"
    )
    assert selection == ["deposit-url-1", 0, len(field.input_value())]
    assert violations == []

    response = page.goto(reveal_url)
    assert response.status == 410
    assert password not in page.content()


def test_a_holder_who_left_the_directory_is_logged_out_and_shown_suspended(
    browser_page: object, personas: Personas, live_server: object, settings: object
) -> None:
    page = browser_page
    settings.ENT_PUBLIC_URL = live_server.url  # type: ignore[attr-defined]
    initialise_school_group(personas.group_a)
    charlie = personas.charlie
    person = staff_member(personas.college_a, charlie.last_name, charlie.first_name, user=charlie)
    account = make_depositor(personas.group_a, charlie)
    log_in(page, "charlie", PASSWORD)
    expect(page.get_by_role("link", name="Messagerie")).to_be_visible()  # type: ignore[attr-defined]

    # What the directory load does for a person it deactivates (tests/accounts covers the load).
    Person.objects.filter(pk=person.pk).update(is_active=False)
    directory_logins_close(person_ids=[person.pk], now=timezone.now())
    page.goto("/comptes/messages/")  # type: ignore[attr-defined]

    assert "/comptes/connexion/" in page.url  # type: ignore[attr-defined]
    log_in(page, "charlie", PASSWORD)
    expect(page.get_by_role("alert")).to_be_visible()  # type: ignore[attr-defined]
    log_in(page, "hugo", PASSWORD)
    page.goto(f"/cites/{personas.group_a.pk}/import-automatise/comptes/")  # type: ignore[attr-defined]
    row = page.get_by_role("row", name=re.compile(account.login))  # type: ignore[attr-defined]
    expect(row.locator("[data-suspended]")).to_have_text(  # type: ignore[attr-defined]
        "— suspendu : identifiant ENT fermé, à supprimer et remplacer"
    )
    screenshot(page, "depositor-suspended.png")
