"""``manage.py import_timetable FILE (--uai UAI | --group ID) [--manual] [--apply-anyway]``.

Imports a timetable file synchronously, in this process, and prints the run's outcome (as
JSON with ``--json``). The exit code is 0 only when the run ends INTEGRATED.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from imports.models import ImportRun
from imports.services.deposits import DepositRefused
from imports.services.manual import (
    ImportTargetUnknown,
    import_file_submit,
    import_run_summary,
    import_target_resolve,
)


class Command(BaseCommand):
    help = "Importe un fichier d'emploi du temps (EDT, PRONOTE, UnDeuxTEMPS) et affiche le bilan."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="Fichier .xml ou .zip à importer.")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--uai", help="UAI de l'établissement visé.")
        target.add_argument(
            "--group", type=int, help="Identifiant de la cité scolaire (tous ses établissements)."
        )
        parser.add_argument(
            "--manual", action="store_true", help="Import manuel (initialisation de l'année)."
        )
        parser.add_argument(
            "--apply-anyway", action="store_true", help="Appliquer malgré les seuils bloquants."
        )
        parser.add_argument("--json", action="store_true", help="Sortie JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            school_group, establishment = import_target_resolve(
                uai=options["uai"], school_group_id=options["group"]
            )
            run = import_file_submit(
                path=path,
                school_group=school_group,
                establishment=establishment,
                mode=ImportRun.Mode.MANUAL if options["manual"] else ImportRun.Mode.AUTOMATIC,
                apply_anyway=options["apply_anyway"],
                deposited_by_id=None,
                clock=timezone.now,
            )
        except (ImportTargetUnknown, DepositRefused) as error:
            raise CommandError(str(error)) from error
        summary = import_run_summary(run)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
        else:
            self._write_text(summary)
        if run.status != ImportRun.Status.INTEGRATED:
            raise CommandError(
                f"L'import n° {run.pk} n'est pas intégré (statut : {summary['status_label']}).",
                returncode=1,
            )

    def _write_text(self, summary: dict[str, Any]) -> None:
        self.stdout.write(f"Import n° {summary['id']} : {summary['status_label']}")
        for step in summary["steps"]:
            self.stdout.write(f"  [{step['outcome']}] {step['name']} : {step['message']}")
            if step["action"]:
                self.stdout.write(f"      Action : {step['action']}")
        for key, value in summary["counters"].items():
            self.stdout.write(f"  {key} : {value}")
