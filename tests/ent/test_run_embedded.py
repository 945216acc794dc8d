"""``run_embedded`` with real processes: it stops cleanly and keeps its children alive.

Each test starts the command on a fresh ``ENT_VAR_DIR`` (no static files collected, no beat
schedule, no broker folder yet), against the test database, on a free port.
"""

from __future__ import annotations

import http.client
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ent.embedded import Embedded, alive, port_is_free

pytestmark = pytest.mark.slow
STOP_SECONDS = 10


@pytest.fixture
def embedded(transactional_db: None, tmp_path: Path) -> Iterator[Embedded]:
    started = Embedded(var_dir=tmp_path / "var")
    yield started
    started.kill()


def _get(embedded: Embedded, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", embedded.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda e: e.signal(signal.SIGTERM), id="sigterm"),
        pytest.param(lambda e: e.signal_group(signal.SIGINT), id="ctrl-c-to-the-group"),
    ],
)
def test_a_stop_signal_ends_the_server_the_worker_and_beat_in_time_and_frees_the_port(
    embedded: Embedded, stop: object
) -> None:
    embedded.start()
    tree = embedded.process_tree()
    assert set(embedded.children()) == {"worker", "beat"}

    stop(embedded)  # type: ignore[operator]
    took = embedded.wait_exit(timeout=STOP_SECONDS + 20)

    assert took < STOP_SECONDS, embedded.log()[-3000:]
    assert [pid for pid in tree if alive(pid)] == []
    assert port_is_free(embedded.port)
    assert "Arrêté." in embedded.log()


def test_a_fresh_start_without_collectstatic_serves_pages_and_their_static_files(
    embedded: Embedded,
) -> None:
    embedded.start()

    status, page = _get(embedded, "/comptes/connexion/")
    stylesheet = page.decode().split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    css_status, css = _get(embedded, stylesheet)

    assert status == 200
    assert css_status == 200
    assert css


def test_the_announced_webdav_url_points_at_the_port_given_on_the_command_line(
    embedded: Embedded,
) -> None:
    # As seed_demo writes it: on ENT_PUBLIC_URL (port 8000), the credentials in the URL.
    demo = embedded.var_dir / "demo"
    demo.mkdir(parents=True)
    (demo / "depot-webdav.txt").write_text("http://depot-demo:s3cret@127.0.0.1:8000/webdav/7/\n")
    assert embedded.port != 8000

    embedded.start()

    log = embedded.log()
    assert f"http://depot-demo:s3cret@127.0.0.1:{embedded.port}/webdav/7/" in log
    assert ":8000/" not in log


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_a_killed_child_is_restarted_after_a_pause_with_a_line_in_the_output(
    embedded: Embedded, role: str
) -> None:
    embedded.start()
    victim = embedded.children()[role]

    os.kill(victim, signal.SIGKILL)
    embedded.wait_for(lambda log: "redémarré" in log, f"the {role} to be restarted", timeout=30)
    deadline = time.monotonic() + 30
    while embedded.children().get(role) in (None, victim) and time.monotonic() < deadline:
        time.sleep(0.1)

    log = embedded.log()
    assert "s'est arrêté (code -9) : redémarrage dans 1 s." in log
    replacement = embedded.children()[role]
    assert replacement != victim
    assert alive(replacement)
    assert not alive(victim)
