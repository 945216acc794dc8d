"""Run the whole product on its embedded default: web (with WebDAV), a Celery worker and beat."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from cheroot import wsgi
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from ent.celery import CeleryQueue
from ent.httpserver import guarded_server
from ent.limits import server_body_ceiling


def web_server(*, host: str, port: int, threads: int) -> wsgi.Server:
    """The embedded web server: Django and /webdav, with the body limits of ent.limits."""
    from ent.wsgi import application

    return guarded_server(
        application,
        host=host,
        port=port,
        threads=threads,
        max_body_bytes=server_body_ceiling(),
    )


class Command(BaseCommand):
    help = "Démarre le serveur web, un worker Celery et beat ; Ctrl-C arrête tout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=16)

    def handle(self, *args: Any, host: str, port: int, threads: int, **options: Any) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "ent"]
        queues = ",".join(q.value for q in CeleryQueue)
        children = [
            subprocess.Popen([*celery, "worker", "-Q", queues, "-c", "2", "-l", "INFO"]),  # noqa: S603
            subprocess.Popen(  # noqa: S603
                [*celery, "beat", "-l", "INFO", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME]
            ),
        ]
        server = web_server(host=host, port=port, threads=threads)
        signal.signal(signal.SIGTERM, lambda *_: server.stop())
        self._announce(f"http://{host}:{port}")
        try:
            server.start()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=20)
            self.stdout.write("Arrêté.")

    def _announce(self, url: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"ENT prêt sur {url}/"))
        if settings.ENT_EMBEDDED_ANNOUNCEMENT:
            # devtools.demo.demo_announcement by default: the demo logins and files.
            announcement = import_string(settings.ENT_EMBEDDED_ANNOUNCEMENT)
            for line in announcement(base_url=url):
                self.stdout.write(line)
        self.stdout.write("Ctrl-C pour tout arrêter.")
