"""Serve the embedded web server alone (no Celery children), as ``run_embedded`` builds it.

Run as ``python -m tests.ent.embedded_web_server PORT`` by tests that measure the server
process from outside (its memory while hostile requests arrive).
"""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")
    django.setup()
    from ent.management.commands.run_embedded import web_server

    server = web_server(host="127.0.0.1", port=int(sys.argv[1]), threads=4)
    server.prepare()
    print("ENT prêt", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
