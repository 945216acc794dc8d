"""The site under its Content-Security-Policy in a real browser, and no cached page after
logging out."""

from __future__ import annotations

from tests.browser.conftest import log_in, log_out
from tests.conftest import PASSWORD, Personas


def test_pages_break_no_csp_rule_and_back_after_logout_shows_no_school_data(
    browser_page: object, personas: Personas
) -> None:
    page = browser_page
    personas.hugo.is_staff = True
    personas.hugo.save()
    violations: list[str] = []
    page.on(  # type: ignore[attr-defined]
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    group_id = personas.group_a.pk

    log_in(page, "hugo", PASSWORD)
    for url in (
        f"/cites/{group_id}/",
        f"/cites/{group_id}/import-automatise/comptes/",
        f"/cites/{group_id}/imports/",
        "/admin/",
        f"/cites/{group_id}/",
    ):
        page.goto(url)  # type: ignore[attr-defined]
    stylesheet_applied = page.evaluate(  # type: ignore[attr-defined]
        "() => document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0"
    )
    # Wait for the logout's navigation to finish: going back while it is under way races it.
    with page.expect_navigation():  # type: ignore[attr-defined]
        log_out(page)
    page.go_back()  # type: ignore[attr-defined]

    assert violations == []
    assert stylesheet_applied
    # no-store: the browser asks the server again, which wants a login.
    assert "/comptes/connexion/" in page.url  # type: ignore[attr-defined]
    assert "Cité scolaire A" not in page.content()  # type: ignore[attr-defined]
