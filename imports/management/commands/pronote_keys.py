"""``manage.py pronote_keys [--force]``: the key pair for encrypted EDT / PRONOTE exports."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from imports.pronote_keys import pronote_keys_create, public_key_pem


class Command(BaseCommand):
    help = (
        "Crée la paire de clés RSA des exports chiffrés EDT / PRONOTE si elle manque, puis "
        "affiche la clé publique et le nom de partenaire à transmettre à Index Education."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Remplace la clé existante (les exports chiffrés pour l'ancienne clé ne "
            "pourront plus être lus).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        configured = getattr(settings, "PRONOTE_PRIVATE_KEY_PATH", "")
        if not configured:
            raise CommandError(
                "PRONOTE_PRIVATE_KEY_PATH n'est pas configuré : indiquez où garder la clé privée."
            )
        path = Path(configured)
        if path.exists() and not options["force"]:
            try:
                public_pem = public_key_pem(path.read_bytes())
            except (ValueError, TypeError) as exc:
                raise CommandError(
                    f"La clé privée {path} est illisible ({exc}). Recréez la paire avec "
                    "--force, puis transmettez la nouvelle clé publique à Index Education."
                ) from exc
            self.stdout.write(f"Clé privée existante conservée : {path}")
        else:
            public_pem = pronote_keys_create(private_key_path=path, overwrite=True)
            self.stdout.write(self.style.SUCCESS(f"Nouvelle clé privée créée : {path} (0600)"))
        partner = settings.PRONOTE_PARTNER_NAME
        self.stdout.write("")
        self.stdout.write("À transmettre à Index Education (partenariat ENT) :")
        self.stdout.write(f"Nom du partenaire : {partner}")
        self.stdout.write("Clé publique :")
        self.stdout.write(public_pem.decode("ascii").rstrip())
        self.stdout.write("")
        self.stdout.write(
            "Ne transmettez jamais la clé privée. Les établissements choisiront "
            f"« {partner} » comme destinataire de l'export vers l'ENT dans EDT ou PRONOTE."
        )
