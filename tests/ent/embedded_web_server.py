"""Serve the embedded web server alone (no Celery children), as ``run_embedded`` builds it.

``python -m tests.ent.embedded_web_server PORT`` serves; tests measure the process from
outside (its memory while hostile requests arrive). ``python -m
tests.ent.embedded_web_server --seed-depositor`` creates a school group and a depositor
account in the database of ``DATABASE_URL`` and prints ``<group id> <login> <password>``:
on SQLite the server cannot share the tests' in-memory database, so it gets its own.
"""

from __future__ import annotations

import os
import sys

import django


def _seed_depositor() -> None:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from deposits.models import DepositorAccount
    from tests.factories import SchoolGroupFactory, UserFactory

    group = SchoolGroupFactory()
    now = timezone.now()
    account = DepositorAccount.objects.create(
        school_group=group,
        user=UserFactory(username=f"seed-{group.pk}"),
        slot=1,
        login=f"emp.seed.{group.pk}",
        password=make_password("mot-de-passe-seed"),
        created_at=now,
        password_changed_at=now,
    )
    print(group.pk, account.login, "mot-de-passe-seed", flush=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")
    django.setup()
    if sys.argv[1] == "--seed-depositor":
        _seed_depositor()
        return
    from ent.management.commands.run_embedded import web_server

    server = web_server(host="127.0.0.1", port=int(sys.argv[1]), threads=4)
    server.prepare()
    print("ENT prêt", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
