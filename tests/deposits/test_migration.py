"""Moving the depositor accounts from accounts to deposits keeps every row (migrations)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from deposits.models import CredentialReveal, DepositorAccount
from imports.models import ImportRun
from tests.migration_support import migrate_to

BEFORE_MOVE = ("accounts", "0003_depositors_messages")
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_depositor_accounts_reveals_and_import_runs_survive_the_move_to_deposits() -> None:
    executor = migrate_to([BEFORE_MOVE])
    graph = executor.loader.graph
    others = [node for node in graph.leaf_nodes() if node[0] not in ("accounts", "deposits")]
    old = executor.loader.project_state([BEFORE_MOVE, *others]).apps
    assert ("deposits", "0001_depositor_accounts_from_accounts") not in (
        executor.loader.applied_migrations
    )
    user = old.get_model("accounts", "User").objects.create(username="louise")
    group = old.get_model("ent", "SchoolGroup").objects.create(name="Cité scolaire Jean Moulin")
    account = old.get_model("accounts", "DepositorAccount").objects.create(
        school_group=group,
        user=user,
        slot=2,
        login="emp.louise",
        password="pbkdf2_sha256$hash",
        credentials_version=3,
        notify=False,
        created_at=NOW,
        password_changed_at=NOW,
    )
    old.get_model("accounts", "CredentialReveal").objects.create(
        account=account,
        token_hash="a" * 64,
        encrypted_password="chiffré",
        created_at=NOW,
        expires_at=NOW + dt.timedelta(days=7),
    )
    old.get_model("imports", "ImportRun").objects.create(
        school_group=group,
        mode="AUTOMATIC",
        file="deposits/edt.xml",
        original_filename="edt.xml",
        sha256="0" * 64,
        size=1,
        received_at=NOW,
        deposited_by=user,
    )

    migrate_to(graph.leaf_nodes())

    moved = DepositorAccount.objects.select_related("user", "school_group").get()
    assert (moved.pk, moved.login, moved.slot, moved.credentials_version, moved.notify) == (
        account.pk,
        "emp.louise",
        2,
        3,
        False,
    )
    assert (moved.user.username, moved.school_group.name) == (
        "louise",
        "Cité scolaire Jean Moulin",
    )
    reveal = CredentialReveal.objects.get()
    assert (reveal.account_id, reveal.encrypted_password) == (moved.pk, "chiffré")
    run = ImportRun.objects.get()
    assert (run.deposited_by_id, run.school_group_id) == (moved.user_id, moved.school_group_id)
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(DepositorAccount).app_label == "deposits"
