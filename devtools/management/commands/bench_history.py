"""``manage.py bench_history``: the history pages with 100,000 runs across 800 school groups.

PostgreSQL. Use a database of its own: the runs stay in it. Adds ``--groups`` school groups
and ``--runs`` runs (``--heavy-runs`` of them in one group), then times the history list
(first and last page) and a run's page for a typical group and the heavy one, and prints the
plans of the list and count queries (EXPLAIN ANALYZE) to check that they use an index.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from devtools.burst.history import history_explain, history_fill, history_measure

TARGET_MS = 200


class Command(BaseCommand):
    help = "Banc d'essai des pages d'historique avec un long historique d'imports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=100_000)
        parser.add_argument("--groups", type=int, default=800)
        parser.add_argument("--heavy-runs", type=int, default=5_000)
        parser.add_argument("--repeats", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Ce banc d'essai demande PostgreSQL (DATABASE_URL).")
        self.stdout.write(f"Création de {options['runs']} imports dans {options['groups']} cités…")
        filled = history_fill(
            runs=options["runs"],
            groups=options["groups"],
            heavy_runs=options["heavy_runs"],
            seed=options["seed"],
        )
        self.stdout.write("| Page | Imports de la cité | p50 | max |")
        self.stdout.write("|---|---|---|---|")
        slow = []
        for timing in history_measure(filled, repeats=options["repeats"]):
            self.stdout.write(
                f"| {timing.page} | {timing.runs_in_group} | {timing.p50_ms:.0f} ms | "
                f"{timing.max_ms:.0f} ms |"
            )
            if timing.p50_ms >= TARGET_MS:
                slow.append(timing.page)
        for name, plan in history_explain(filled.heavy_group_id).items():
            self.stdout.write(f"\nEXPLAIN ({name}) :\n{plan}")
        if slow:
            raise CommandError(f"Au-delà de {TARGET_MS} ms : {', '.join(slow)}")
