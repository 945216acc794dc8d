"""A depositor account whose holder left the directory is suspended, and said to be.

Its WebDAV password is its own, but it is held by an ENT login: once the directory load
closes that login, deposits with the account are refused, the heads and managers of the
school group are told to replace it, and its holder gets no more bilans; a later load that
lists the holder again brings it back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from django.test import Client

from accounts.models import Message
from deposits.models import DepositorAccount
from deposits.selectors import bilan_recipients
from deposits.services import depositor_authenticate, depositor_password_hash
from devtools.aaf_writer import write_aaf_folder
from ent.aaf.records import AafCategory, AafPerson, AafStructure
from ent.models import Person
from ent.services.directory import AafImportSummary, aaf_import
from tests.conftest import Personas
from tests.deposits.conftest import make_depositor

PARIS = ZoneInfo("Europe/Paris")
JUNE = dt.datetime(2027, 6, 8, 2, 0, tzinfo=PARIS)
JULY = dt.datetime(2027, 7, 8, 2, 0, tzinfo=PARIS)
SEPTEMBER = dt.datetime(2027, 9, 1, 2, 0, tzinfo=PARIS)
PASSWORD = "Edt-2027-depot"


def _load(
    folder: Path, personas: Personas, *, with_paul: bool, now: dt.datetime
) -> AafImportSummary:
    college = AafStructure(jointure="52006", uai=personas.college_a.uai, name="COLLEGE A")
    records: list[object] = [
        college,
        AafPerson(
            category=AafCategory.STAFF,
            jointure="300001",
            last_name="Lefèvre",
            first_name="Anne",
            structures=("52006",),
            is_teacher=True,
        ),
    ]
    if with_paul:
        records.append(
            AafPerson(
                category=AafCategory.STAFF,
                jointure="300002",
                last_name="Roux",
                first_name="Paul",
                structures=("52006",),
                is_teacher=False,
            )
        )
    write_aaf_folder(folder, records, export_date=now.date())  # type: ignore[arg-type]
    return aaf_import(folder=folder, now=now)


def _authenticates(account: DepositorAccount) -> bool:
    return (
        depositor_authenticate(login=account.login, password=PASSWORD, address="a", now=JULY)
        is not None
    )


def _paul_s_account(initialised: Personas, tmp_path: Path) -> DepositorAccount:
    _load(tmp_path / "june", initialised, with_paul=True, now=JUNE)
    paul = Person.objects.get(aaf_jointure="300002").user
    assert paul is not None
    account = make_depositor(initialised.group_a, paul)
    account.password = depositor_password_hash(PASSWORD)
    account.save(update_fields=["password"])
    return account


def test_deposits_with_the_account_of_a_holder_who_left_are_refused_until_they_come_back(
    initialised: Personas, tmp_path: Path
) -> None:
    account = _paul_s_account(initialised, tmp_path)
    assert _authenticates(account)  # the success is cached too: the closure must beat it

    summary = _load(tmp_path / "july", initialised, with_paul=False, now=JULY)
    refused = not _authenticates(account)
    _load(tmp_path / "september", initialised, with_paul=True, now=SEPTEMBER)

    assert refused
    assert summary.counts["depositor_accounts.suspended"] == 1
    assert any(
        f"« {account.login} »" in w and "suspendu" in w and "ROUX Paul" in w
        for w in summary.warnings
    )
    assert _authenticates(account)


def test_the_heads_and_managers_are_told_to_replace_the_suspended_account(
    initialised: Personas, tmp_path: Path
) -> None:
    account = _paul_s_account(initialised, tmp_path)

    _load(tmp_path / "july", initialised, with_paul=False, now=JULY)

    told = Message.objects.filter(subject=f"Compte d'accès « {account.login} » suspendu")
    assert {m.recipient.username for m in told} == {"alice", "hugo"}  # manager and head of A
    body = told.first().body  # type: ignore[union-attr]
    assert "supprimez-le" in body and "ajoutez un compte" in body
    assert told.first().link.endswith(f"/cites/{initialised.group_a.pk}/import-automatise/comptes/")  # type: ignore[union-attr]
    assert {m.link_text for m in told} == {"Voir les comptes d'accès"}


def test_a_suspended_account_gets_no_bilan_and_is_marked_on_the_accounts_page(
    initialised: Personas, tmp_path: Path
) -> None:
    account = _paul_s_account(initialised, tmp_path)
    assert account.user in bilan_recipients(initialised.group_a.pk)

    _load(tmp_path / "july", initialised, with_paul=False, now=JULY)
    browser = Client()
    browser.force_login(initialised.hugo)
    page = browser.get(f"/cites/{initialised.group_a.pk}/import-automatise/comptes/")

    assert account.user not in bilan_recipients(initialised.group_a.pk)
    assert "suspendu : identifiant ENT fermé, à supprimer et remplacer" in page.content.decode()
