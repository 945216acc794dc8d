"""Supervision of the embedded default's background processes (Celery worker and beat).

``run_embedded`` serves the web application itself and keeps its children alive: a child
that dies is restarted after a back-off that doubles with each quick death (1 s, 2 s, 4 s …
up to a minute; a child that ran for a minute starts again from 1 s), with a line in the
output. Each child leads its own process group, so that a dead worker's pool processes go
with it and a stop reaches every process of a child.

Production runs the same commands under the platform's own supervisor (systemd units, see
``docs/operations.md``); this module only serves the single-machine default.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
STABLE_AFTER_SECONDS = 60.0


@dataclass
class Child:
    """One supervised command: ``label`` (French, for the output) and its ``argv``."""

    label: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    """Start ``children``, restart the ones that die, stop them all within a deadline."""

    def __init__(
        self,
        children: Sequence[Child],
        *,
        say: Callable[[str], None],
        env: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = list(children)
        self._say = say
        self._env = env
        self._clock = clock

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def check(self) -> None:
        """Reap dead children and schedule or perform their restarts; call it often."""
        now = self._clock()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                _kill_group(process.pid, signal.SIGKILL)  # its orphaned pool processes
                child.process = None
                ran = now - child.started_at
                child.quick_deaths = 0 if ran >= STABLE_AFTER_SECONDS else child.quick_deaths + 1
                delay = min(
                    BACKOFF_FIRST_SECONDS * 2 ** max(child.quick_deaths - 1, 0),
                    BACKOFF_MAX_SECONDS,
                )
                child.restart_at = now + delay
                self._say(
                    f"{child.label} s'est arrêté (code {process.returncode}) : redémarrage "
                    f"dans {delay:g} s."
                )
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                process = self._spawn(child)
                self._say(f"{child.label} redémarré (pid {process.pid}).")

    def stop(self, *, grace: float) -> None:
        """Ask every child to stop (SIGTERM); kill what is left after ``grace`` seconds."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            # The leader only: a worker stops its own pool processes.
            process.send_signal(signal.SIGTERM)
        deadline = self._clock() + grace
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - self._clock(), 0.01))
        for process in running:
            # A worker's warm shutdown waits for its tasks: an interrupted import is taken
            # up again by the sweep, so the stop does not wait for it.
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
        for child in self.children:
            child.process = None
            child.restart_at = None

    def _spawn(self, child: Child) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603
            list(child.argv), env=self._env, start_new_session=True
        )
        child.process = process
        child.started_at = self._clock()
        child.restart_at = None
        return process


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
