from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from devtools.demo import demo_seed


class Command(BaseCommand):
    help = "Crée une fois la cité scolaire de démonstration et ses comptes (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_seed(clock=timezone.now)
        if not summary.created:
            self.stdout.write("Données de démonstration déjà présentes.")
            return
        assert summary.directory is not None  # noqa: S101 - set whenever created
        for line in summary.directory.lines():
            self.stdout.write(line)
        if summary.files:
            self.stdout.write(
                "Fichiers de démonstration (annuaire AAF, exports d'emploi du temps) :"
            )
            for path in summary.files:
                self.stdout.write(f"  {path}")
        if summary.initialisation_status == "INTEGRATED":
            self.stdout.write(
                "Import manuel de rentrée intégré ; compte d'accès WebDAV créé pour "
                "« gestionnaire »."
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    "L'import manuel de rentrée n'a pas été intégré (statut : "
                    f"{summary.initialisation_status}) : voyez l'historique des imports."
                )
            )
        self.stdout.write(self.style.SUCCESS("Cité scolaire de démonstration créée."))
