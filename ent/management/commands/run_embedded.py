"""Run the whole product on its embedded default: web (with WebDAV), a Celery worker and beat.

The web server runs in a thread of this process; the worker and beat are supervised children
(:mod:`ent.supervisor`), restarted when they die. SIGTERM and SIGINT (Ctrl-C) stop the web
server and the children within :data:`STOP_SECONDS`, and free the port.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from cheroot import wsgi
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from ent.celery import CeleryQueue
from ent.httpserver import guarded_server
from ent.limits import server_body_ceiling
from ent.supervisor import Child, Supervisor

STOP_SECONDS = 10
# Children get this long for a warm shutdown; the web server stops meanwhile.
CHILD_GRACE_SECONDS = 4
SUPERVISION_TICK_SECONDS = 0.5
# Requests in progress get this long to finish when stopping.
WEB_DRAIN_SECONDS = 2


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
        # Pages need the static files' manifest: collect them on every start (it is quick
        # when nothing changed), so a start without `make run` serves them too.
        call_command("collectstatic", interactive=False, verbosity=0)

        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())

        # After collectstatic: WhiteNoise lists the files once, when the application loads.
        server = web_server(host=host, port=port, threads=threads)
        server.shutdown_timeout = WEB_DRAIN_SECONDS
        server.prepare()  # binds the port, or fails here
        serving = threading.Thread(target=server.serve, name="web", daemon=True)
        serving.start()
        supervisor = Supervisor(self._children(), say=self._say)
        supervisor.start()
        self._announce(f"http://{host}:{server.bind_addr[1]}")
        try:
            while not stopping.wait(SUPERVISION_TICK_SECONDS):
                if not serving.is_alive():
                    self.stderr.write("Le serveur web s'est arrêté : arrêt de tout.")
                    break
                supervisor.check()
        finally:
            self._say("Arrêt en cours…")
            # The web server drains its requests while the children stop.
            stopper = threading.Thread(target=server.stop, name="web-stop", daemon=True)
            stopper.start()
            supervisor.stop(grace=CHILD_GRACE_SECONDS)
            stopper.join(timeout=STOP_SECONDS - CHILD_GRACE_SECONDS - 1)
            self._say("Arrêté.")

    def _children(self) -> list[Child]:
        celery = [sys.executable, "-m", "celery", "-A", "ent"]
        queues = ",".join(q.value for q in CeleryQueue)
        return [
            Child("Le worker Celery", [*celery, "worker", "-Q", queues, "-c", "2", "-l", "INFO"]),
            Child(
                "Celery beat",
                [*celery, "beat", "-l", "INFO", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME],
            ),
        ]

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _announce(self, url: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"ENT prêt sur {url}/"))
        if settings.ENT_EMBEDDED_ANNOUNCEMENT:
            # devtools.demo.demo_announcement by default: the demo logins and files.
            announcement = import_string(settings.ENT_EMBEDDED_ANNOUNCEMENT)
            for line in announcement(base_url=url):
                self.stdout.write(line)
        self.stdout.write("Ctrl-C pour tout arrêter.")
        self.stdout.flush()
