"""In a real browser: unticking the coherence control asks first, then says who did it."""

from __future__ import annotations

from imports.models import ThresholdSettingsChange
from imports.thresholds import Control, threshold_settings_for
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, Personas


def test_a_manager_cancels_then_confirms_unticking_the_coherence_control(
    browser_page: object, personas: Personas
) -> None:
    page = browser_page
    group_id = personas.group_a.pk
    log_in(page, "alice", PASSWORD)
    page.goto(f"/cites/{group_id}/imports/seuils/")  # type: ignore[attr-defined]

    page.uncheck("input[name=closing_coherence_blocking]")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Enregistrer").click()  # type: ignore[attr-defined]
    assert page.get_by_text("Très important").is_visible()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Annuler, ne rien changer").click()  # type: ignore[attr-defined]
    assert threshold_settings_for(school_group_id=group_id)[Control.CLOSING_COHERENCE].blocking
    assert page.locator("input[name=closing_coherence_blocking]").is_checked()  # type: ignore[attr-defined]

    page.uncheck("input[name=closing_coherence_blocking]")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Enregistrer").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Confirmer").click()  # type: ignore[attr-defined]

    assert not threshold_settings_for(school_group_id=group_id)[Control.CLOSING_COHERENCE].blocking
    banner = page.locator("[data-coherence-unblocked]").inner_text()  # type: ignore[attr-defined]
    assert "n'est plus bloquante depuis le" in banner
    assert personas.alice.get_full_name() in banner
    assert ThresholdSettingsChange.objects.get().changed_by == personas.alice
