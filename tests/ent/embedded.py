"""``manage.py run_embedded`` as a real process tree, for supervision and stop tests.

The process gets a fresh ``ENT_VAR_DIR`` (filesystem broker, beat schedule, static files)
and the test database (the SQLite test file, or the PostgreSQL test database with the Redis
test database), on a free loopback port. Its output goes to a log file the tests read.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
START_TIMEOUT = 120.0
WORKER_READY = " ready."
BEAT_READY = "beat: Starting..."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def database_url() -> str:
    """The URL of the test database, which the embedded processes must use too."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def children_of(pid: int) -> list[int]:
    """Return the pids whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces, so split after its closing paren.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Embedded:
    var_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.var_dir / "run_embedded.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Embedded:
        """Start ``run_embedded`` (leading its own process group, as a shell job does)."""
        environment = {
            **os.environ,
            "ENT_VAR_DIR": str(self.var_dir),
            "DATABASE_URL": database_url(),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        environment.pop("DJANGO_STATIC_ROOT", None)
        if settings.REDIS_URL:
            environment["REDIS_URL"] = settings.REDIS_URL
        else:
            environment.pop("REDIS_URL", None)
        self.var_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_embedded", "--port", str(self.port)],
                cwd=BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for(lambda log: "ENT prêt sur" in log, "the web server to be ready")
        self.wait_for(
            lambda log: WORKER_READY in log and BEAT_READY in log, "the worker and beat to start"
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, condition: object, what: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self.log()):  # type: ignore[operator]
                return
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"run_embedded exited before {what}:\n{self.log()[-6000:]}")
            time.sleep(0.1)
        raise AssertionError(f"Timed out waiting for {what}:\n{self.log()[-6000:]}")

    def children(self) -> dict[str, int]:
        """The supervised children by role ("worker", "beat")."""
        assert self.process is not None
        roles = {}
        for pid in children_of(self.process.pid):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                for role in (b"worker", b"beat"):
                    if role in command:
                        roles[role.decode()] = pid
        return roles

    def process_tree(self) -> list[int]:
        """The children and their own children (the worker's pool processes)."""
        tree = []
        for pid in self.children().values():
            tree.append(pid)
            tree.extend(children_of(pid))
        return tree

    def signal_group(self, signum: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signum)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait_exit(self, timeout: float) -> float:
        """Return how long the process took to exit; kill its tree and fail past ``timeout``."""
        assert self.process is not None
        started = time.monotonic()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"run_embedded still running after {timeout} s:\n{self.log()[-6000:]}"
            ) from None
        return time.monotonic() - started

    def kill(self) -> None:
        """Kill everything that is left (a failed test's cleanup)."""
        if self.process is None:
            return
        for pid in self.process_tree() if self.process.poll() is None else []:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
