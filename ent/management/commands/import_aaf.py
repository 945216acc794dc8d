from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ent.aaf.reader import AafFormatError
from ent.models import SchoolGroup
from ent.services.directory import AafImportError, aaf_import


class Command(BaseCommand):
    help = "Importe un dossier de fichiers AAF « Complet » dans l'annuaire de l'ENT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="dossier contenant les fichiers AAF")
        parser.add_argument(
            "--school-group",
            type=int,
            help="identifiant de la cité scolaire à laquelle rattacher les nouveaux établissements",
        )

    def handle(self, *args: Any, folder: Path, school_group: int | None, **options: Any) -> None:
        group = None
        if school_group is not None:
            group = SchoolGroup.objects.filter(pk=school_group).first()
            if group is None:
                raise CommandError(f"Cité scolaire {school_group} introuvable.")
        try:
            summary = aaf_import(folder=folder, school_group=group)
        except (AafImportError, AafFormatError) as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        for warning in summary.warnings:
            self.stderr.write(f"Avertissement : {warning}")
        self.stdout.write(self.style.SUCCESS("Import de l'annuaire terminé."))
