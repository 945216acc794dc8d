"""``manage.py bench_burst``: N establishments deposit at once; how the product drains it.

Against the configured PostgreSQL and Redis (use a database of its own: the fleet stays in
it), the command creates the fleet (:mod:`devtools.burst.fleet`), starts the production shape
(``serve_webdav`` and ``--workers`` Celery worker processes under ``--hosts`` host names),
initialises every establishment's year, then deposits one export per target through real
WebDAV PUTs within ``--window`` seconds and waits for every run to be final
(:mod:`devtools.burst.run`). Exit status 1 when a deposit was lost, refused, applied twice or
left sessions other than its file implies.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from devtools.burst.fleet import DEFAULT_VARIANTS, fleet_create
from devtools.burst.run import Sampler, burst_run, initialise_deposit, puts_csv_write
from devtools.burst.topology import TopologyError, topology_build

MB = 1024 * 1024


class Command(BaseCommand):
    help = "Banc d'essai : des centaines d'établissements déposent en même temps par WebDAV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--establishments", type=int, default=20)
        parser.add_argument("--groups", type=int, default=8)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--hosts", default="hote-a,hote-b", help="noms d'hôtes des workers")
        parser.add_argument("--clients", type=int, default=32, help="clients WebDAV parallèles")
        parser.add_argument("--window", type=float, default=60.0, help="durée de la rafale (s)")
        parser.add_argument("--deposit-mb", type=float, default=5.0, help="taille de chaque dépôt")
        parser.add_argument("--webdav-threads", type=int, default=32)
        parser.add_argument("--worker-nice", type=int, default=10, help="priorité des workers")
        parser.add_argument("--timeout", type=float, default=1800.0)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--variants",
            type=int,
            default=DEFAULT_VARIANTS,
            help="échantillons distincts par préréglage (réutilisés, identifiants changés)",
        )
        parser.add_argument("--keep-files", action="store_true")
        parser.add_argument(
            "--puts-csv", type=Path, help="écrit chaque PUT (envoi, durée, statut) dans ce CSV"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REDIS_URL:
            raise CommandError("Le banc d'essai demande Redis (REDIS_URL) et PostgreSQL.")
        folder = Path(tempfile.mkdtemp(prefix="bench-burst-", dir=settings.VAR_DIR))
        self.stdout.write(f"Dossier de travail : {folder}")
        try:
            report = self._run(folder, options)
        except (TopologyError, RuntimeError, ValueError) as error:
            raise CommandError(str(error)) from error
        finally:
            if not options["keep_files"]:
                shutil.rmtree(folder, ignore_errors=True)
        for line in report.lines():
            self.stdout.write(line)
        if options["puts_csv"]:
            puts_csv_write(report, options["puts_csv"])
            self.stdout.write(f"Détail des PUT : {options['puts_csv']}")
        if not report.sound:
            raise CommandError("Des dépôts ont été perdus, refusés ou mal appliqués (ci-dessus).")

    def _run(self, folder: Path, options: dict[str, Any]) -> Any:
        # The workers start first: they import each school group's first exports while the
        # next groups are being created.
        topology = topology_build(
            workers=options["workers"],
            hosts=tuple(h for h in options["hosts"].split(",") if h),
            folder=folder,
            webdav_threads=options["webdav_threads"],
            worker_nice=options["worker_nice"],
        ).start()
        try:
            sampler = Sampler(topology).start()
            self.stdout.write("Création de la flotte…")
            initial: dict[str, int] = {}
            started = time.monotonic()
            fleet = fleet_create(
                establishments=options["establishments"],
                groups=options["groups"],
                seed=options["seed"],
                folder=folder,
                now=timezone.now(),
                variants=options["variants"],
                on_group=lambda targets: initial.update(initialise_deposit(targets)),
            )
            fleet_seconds = time.monotonic() - started
            self.stdout.write(
                f"{fleet.establishments} établissements, {len(fleet.targets)} exports, créés en "
                f"{fleet_seconds:.1f} s."
            )
            return burst_run(
                fleet=fleet,
                topology=topology,
                clients=options["clients"],
                window_seconds=options["window"],
                deposit_bytes=int(options["deposit_mb"] * MB),
                timeout=options["timeout"],
                progress=self.stdout.write,
                initial_runs=initial,
                initialisation_started=started,
                fleet_seconds=fleet_seconds,
                sampler=sampler,
            )
        finally:
            topology.stop()
