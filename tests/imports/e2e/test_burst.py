"""A small burst on the production shape: nothing lost, nothing applied twice, sessions right.

Twenty establishments in eight school groups (``small`` and ``medium`` samples) deposit at
once through real WebDAV PUTs to a ``serve_webdav`` process; two Celery worker processes
under two host names drain the queue (``manage.py bench_burst`` runs the same code larger).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from devtools.burst.fleet import MEDIUM, SMALL, fleet_create
from devtools.burst.run import burst_run
from devtools.burst.topology import topology_build
from imports.models import ImportRun

pytestmark = pytest.mark.slow


def test_a_burst_of_twenty_establishments_drains_with_nothing_lost_or_applied_twice(
    e2e_env: Path, production_hashers: None
) -> None:
    fleet = fleet_create(
        establishments=20, groups=8, seed=7, folder=e2e_env / "fleet", now=timezone.now()
    )
    assert fleet.establishments == 20
    assert set(fleet.presets()) == {SMALL, MEDIUM}
    topology = topology_build(
        workers=2, hosts=("hote-a", "hote-b"), folder=e2e_env / "topology", webdav_threads=8
    ).start()
    try:
        report = burst_run(
            fleet=fleet,
            topology=topology,
            clients=8,
            window_seconds=10,
            deposit_bytes=256 * 1024,
            timeout=600,
        )
    finally:
        topology.stop()

    assert report.hosts == ("hote-a", "hote-b")
    assert report.refused == []
    assert report.deposits_accepted == len(fleet.targets)
    assert report.runs_created == len(fleet.targets)
    assert report.statuses == {ImportRun.Status.INTEGRATED: len(fleet.targets)}
    assert report.lost == []
    assert report.applied_twice == []
    assert report.session_differences == []
    assert report.peak_connections > 0
    assert report.peak_worker_process_mb > 0
