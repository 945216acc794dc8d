"""Serve only the WebDAV deposit, as its own process (scale it apart from the web server)."""

from __future__ import annotations

import faulthandler
import os
import signal
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from deposits.webdav.app import (
    STOP_SECONDS,
    build_webdav_app,
    mount_webdav,
    not_found_app,
    webdav_server,
    webdav_server_stop,
)


class Command(BaseCommand):
    help = "Démarre le serveur WebDAV de dépôt des emplois du temps (/webdav/) avec cheroot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8081)
        parser.add_argument("--threads", type=int, default=32)
        parser.add_argument(
            "--profile",
            choices=["deposit", "compliance"],
            default="deposit",
            help="compliance : accepte tout fichier (suites de tests WebDAV comme litmus).",
        )

    def handle(
        self, *args: Any, host: str, port: int, threads: int, profile: str, **options: Any
    ) -> None:
        app = mount_webdav(not_found_app, webdav_app=build_webdav_app(profile=profile))
        server, connections = webdav_server(app, host=host, port=port, threads=threads)
        # SIGTERM (service manager) stops like Ctrl-C: leave the serving loop, then stop.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        # `kill -USR1 <pid>` writes every thread's stack to stderr: what a stuck server waits on.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        try:
            server.prepare()
            self.stdout.write(self.style.SUCCESS(f"WebDAV prêt sur http://{host}:{port}/webdav/"))
            self.stdout.flush()
            server.serve()
        except KeyboardInterrupt:
            self.stdout.write("Arrêt du serveur WebDAV.")
        finally:
            if not webdav_server_stop(server, connections):
                self._exit_stuck()

    def _exit_stuck(self) -> NoReturn:
        """End the process although threads of the server still run (they are not daemons)."""
        faulthandler.dump_traceback(all_threads=True)
        self.stderr.write(
            "Arrêt forcé : des fils du serveur WebDAV tournaient encore après "
            f"{STOP_SECONDS:.0f} s (leurs piles sont ci-dessus). Aucun dépôt n'est perdu : un "
            "dépôt n'est accepté qu'une fois enregistré. Relancez le service ; si cela se "
            "reproduit, transmettez ce journal à l'équipe technique."
        )
        self.stdout.flush()
        self.stderr.flush()
        os._exit(1)
