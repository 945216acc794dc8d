"""``manage.py timetable_rollback RUN_ID [--apply-anyway] [--json]``.

Goes back to the timetable of an earlier INTEGRATED run of the current school year: its
stored file is imported again, in this process, as a new manual run recorded as a rollback
of that run. Prints the new run like ``import_timetable`` (as JSON with ``--json``); the exit
code is 0 only when it ends INTEGRATED.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from imports.models import ImportRun
from imports.services.confirmations import ConfirmationRefused, run_rollback_now
from imports.services.manual import import_run_summary


class Command(BaseCommand):
    help = "Revient à l'emploi du temps d'un import intégré antérieur (réimporte son fichier)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("run_id", type=int, help="Numéro de l'import auquel revenir.")
        parser.add_argument(
            "--apply-anyway", action="store_true", help="Appliquer malgré les seuils bloquants."
        )
        parser.add_argument("--json", action="store_true", help="Sortie JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = run_rollback_now(
                run_id=options["run_id"],
                clock=timezone.now,
                apply_anyway=options["apply_anyway"],
            )
        except ConfirmationRefused as refused:
            raise CommandError(str(refused)) from refused
        summary = import_run_summary(run)
        summary["rollback_of"] = run.rollback_of_id
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(
                f"Import n° {run.pk} (retour à l'import n° {run.rollback_of_id}) : "
                f"{summary['status_label']}"
            )
            for step in cast(list[dict[str, Any]], summary["steps"]):
                self.stdout.write(f"  [{step['outcome']}] {step['name']} : {step['message']}")
        if run.status != ImportRun.Status.INTEGRATED:
            raise CommandError(
                f"L'import n° {run.pk} n'est pas intégré (statut : {summary['status_label']}).",
                returncode=1,
            )
