"""``manage.py bench_parse --preset xl --seed 1 [--repeat 3]``: how fast the parsers are.

Generates the sample into a temporary folder, then times :func:`imports.parsers.parse_deposit`
on the clear EDT / PRONOTE export, on the same export encrypted for a key pair made for the
run, and on the UnDeuxTEMPS zip; the floor is a plain ``lxml.etree.parse`` of the clear file.
Each time is the median of ``--repeat`` runs. Peak memory is measured in a fresh process per
file (resident set size, which counts libxml2's memory) and with ``tracemalloc`` (Python
objects only).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml
from django.core.management.base import BaseCommand
from lxml import etree

from devtools.samples import PRESETS, generate_sample, write_sample
from imports.parsers import ParseContext, parse_deposit
from imports.pronote_keys import pronote_keys_create

PARTNER = "ENT-BENCH"
# Run in a fresh interpreter: resident memory after the imports, then the peak while parsing
# one file (the high-water mark is reset first where Linux allows it).
_MEMORY_PROBE = """
import json, os, resource, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ent.settings")
django.setup()
from pathlib import Path
from lxml import etree
from imports.parsers import ParseContext, parse_deposit
kind, path, key = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
context = ParseContext(partner_name=sys.argv[4], private_key_pem=key.read_bytes())
def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass
before = status("VmRSS")
if kind == "floor":
    etree.parse(str(path))
else:
    parse_deposit(path, filename=path.name, context=context)
print(json.dumps({"before_kb": before, "after_kb": status("VmHWM")}))
"""


@dataclass
class _Result:
    label: str
    seconds: float
    python_peak_mb: float
    rss_before_mb: float
    rss_peak_mb: float


class Command(BaseCommand):
    help = (
        "Mesure la lecture des fichiers d'emploi du temps (EDT en clair, chiffré, UnDeuxTEMPS) "
        "par rapport à une simple lecture lxml."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--preset", choices=sorted(PRESETS), default="xl")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        repeat = max(1, options["repeat"])
        with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
            folder = Path(tmp)
            key_path, public_pem, private_pem = _key_pair(folder)
            started = time.perf_counter()
            sample = generate_sample(options["preset"], seed=options["seed"])
            files = write_sample(
                sample, folder / "sample", encrypt_for=public_pem, partner_name=PARTNER
            )
            counts = sample.counts()
            self.stdout.write(
                f"Échantillon « {options['preset']} » (graine {options['seed']}) : "
                f"{counts['courses']} cours, {counts['sessions']} séances, "
                f"{counts['students']} élèves, écrit en {time.perf_counter() - started:.1f} s."
            )
            assert files.edt_encrypted is not None  # noqa: S101 - asked for above
            context = ParseContext(partner_name=PARTNER, private_key_pem=private_pem)
            cases: list[tuple[str, str, Path, Callable[[], object]]] = [
                ("floor", "plancher : lxml.etree.parse (EDT en clair)", files.edt_xml,
                 lambda: etree.parse(str(files.edt_xml))),
                ("edt", "parse_deposit, EDT en clair", files.edt_xml,
                 lambda: _parse(files.edt_xml, context)),
                ("encrypted", "parse_deposit, EDT chiffré", files.edt_encrypted,
                 lambda: _parse(files.edt_encrypted, context)),  # type: ignore[arg-type]
                ("udt", "parse_deposit, UnDeuxTEMPS (zip)", files.udt_zip,
                 lambda: _parse(files.udt_zip, context)),
            ]  # fmt: skip
            sizes = {label: path.stat().st_size for _kind, label, path, _work in cases[1:]}
            results = [
                self._measure(kind, label, path, work, repeat, key_path)
                for kind, label, path, work in cases
            ]
        self._report(results, sizes=sizes, repeat=repeat)

    def _measure(
        self,
        kind: str,
        label: str,
        path: Path,
        work: Callable[[], object],
        repeat: int,
        key_path: Path,
    ) -> _Result:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        tracemalloc.start()
        work()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        probe = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-c", _MEMORY_PROBE, kind, str(path), str(key_path), PARTNER],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[3],
        )
        rss = json.loads(probe.stdout.strip().splitlines()[-1])
        self.stdout.write(f"  mesuré : {label}")
        return _Result(
            label=label,
            seconds=statistics.median(times),
            python_peak_mb=peak / 2**20,
            rss_before_mb=rss["before_kb"] / 1024,
            rss_peak_mb=rss["after_kb"] / 1024,
        )

    def _report(self, results: list[_Result], *, sizes: dict[str, int], repeat: int) -> None:
        floor = results[0].seconds
        self.stdout.write("")
        self.stdout.write(_machine())
        for label, size in sizes.items():
            self.stdout.write(f"Fichier lu par « {label} » : {size / 1024:.0f} Kio.")
        self.stdout.write(f"Médiane de {repeat} exécutions ; mémoire : pic du processus (RSS).")
        header = (
            f"{'Lecture':<44} {'Temps (s)':>10} {'× plancher':>11} {'Python (Mo)':>12} "
            f"{'RSS avant → pic (Mo)':>22}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in results:
            self.stdout.write(
                f"{r.label:<44} {r.seconds:>10.3f} {r.seconds / floor:>11.1f} "
                f"{r.python_peak_mb:>12.1f} {r.rss_before_mb:>10.0f} → {r.rss_peak_mb:<8.0f}"
            )


def _parse(path: Path, context: ParseContext) -> object:
    return parse_deposit(path, filename=path.name, context=context)


def _key_pair(folder: Path) -> tuple[Path, bytes, bytes]:
    """Make a key pair for the run, as ``manage.py pronote_keys`` does."""
    path = folder / "private.pem"
    public_pem = pronote_keys_create(private_key_path=path)
    return path, public_pem, path.read_bytes()


def _machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 2**20:.0f} Gio"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"Machine : {model or platform.processor()} ({cpus} cœurs{memory}), "
        f"Python {platform.python_version()}, lxml {lxml.__version__}, "
        f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}."
    )
