"""Links already sent in messages and mails keep working after the move to the deposits app."""

from __future__ import annotations

from django.urls import resolve, reverse


def test_the_depositor_pages_keep_the_paths_they_had_under_accounts() -> None:
    assert reverse("deposits:depositor_list", args=[3]) == "/cites/3/import-automatise/comptes/"
    assert reverse("deposits:depositor_add", args=[3]) == (
        "/cites/3/import-automatise/comptes/ajouter/"
    )
    assert reverse("deposits:depositor_regenerate", args=[3, 8]) == (
        "/cites/3/import-automatise/comptes/8/regenerer/"
    )


def test_a_reveal_link_sent_before_the_move_still_resolves() -> None:
    match = resolve("/comptes/acces/jeton-envoye-avant/")

    assert (match.view_name, match.kwargs) == (
        "deposits:credential_reveal",
        {"token": "jeton-envoye-avant"},
    )
