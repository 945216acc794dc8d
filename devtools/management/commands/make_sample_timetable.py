"""``manage.py make_sample_timetable --preset small|medium|xl --seed N --out DIR``.

Writes a synthetic cité scolaire: its AAF directory and its timetable exports (EDT / PRONOTE
in clear, encrypted when ``--encrypt-for`` gives a partner's public key, and UnDeuxTEMPS).
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devtools.samples import PRESETS, generate_sample, write_sample
from devtools.samples.files import DEFAULT_PARTNER_NAME, summary_lines


class Command(BaseCommand):
    help = (
        "Génère une cité scolaire fictive : annuaire AAF, export EDT / PRONOTE (en clair et "
        "chiffré) et publication UnDeuxTEMPS."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
        parser.add_argument("--seed", type=int, default=1, help="Graine (mêmes fichiers).")
        parser.add_argument("--out", type=Path, required=True, help="Dossier de sortie.")
        parser.add_argument(
            "--start-year",
            type=int,
            help="Première année de l'année scolaire (par défaut : l'année scolaire en cours).",
        )
        parser.add_argument(
            "--encrypt-for",
            type=Path,
            help="Clé publique RSA (PEM) du partenaire : écrit aussi l'export chiffré.",
        )
        parser.add_argument("--partner-name", default=DEFAULT_PARTNER_NAME)

    def handle(self, *args: Any, **options: Any) -> None:
        public_key = None
        if options["encrypt_for"] is not None:
            try:
                public_key = options["encrypt_for"].read_bytes()
            except OSError as exc:
                raise CommandError(f"Clé publique illisible : {exc}.") from exc
        sample = generate_sample(
            options["preset"], seed=options["seed"], start_year=options["start_year"]
        )
        try:
            files = write_sample(
                sample,
                options["out"],
                encrypt_for=public_key,
                partner_name=options["partner_name"],
            )
        except ValueError as exc:
            raise CommandError(f"Impossible d'écrire l'échantillon : {exc}.") from exc
        establishments = ", ".join(f"{e.display_name} ({e.uai})" for e in sample.establishments)
        self.stdout.write(f"Cité scolaire générée : {establishments}.")
        for line in summary_lines(sample):
            self.stdout.write(line)
        self.stdout.write("Fichiers écrits :")
        for path in files.paths():
            self.stdout.write(f"  {path} ({path.stat().st_size} octets)")
        self.stdout.write(self.style.SUCCESS("Échantillon prêt."))
