"""What every timetable parser shares: its bounds, its context and the protocol it follows.

A parser is one module per source format exposing an object that follows
:class:`TimetableParser`; :mod:`imports.parsers.registry` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from imports.timetable import Timetable


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what a deposit may be (settings ``ENT_MAX_DEPOSIT_BYTES`` and below)."""

    max_bytes: int = 50 * 1024 * 1024
    max_zip_members: int = 500
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: int = 100
    max_decrypted_bytes: int = 200 * 1024 * 1024


class ParseMemo:
    """Work on one file that several readings of it share, so that it is done once.

    An import run fingerprints its file, then parses it: an EDT export is read (and
    decrypted, if encrypted) by the first and its clear payload handed to the second
    through the memo of the run's :class:`ParseContext`. The last reader *takes* a value,
    which forgets it, so no big buffer outlives its use; the memo itself lives as long as
    the run's context.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], object] = {}

    def keep(self, kind: str, path: Path, value: object) -> None:
        """Remember ``value`` as the ``kind`` of the file at ``path``."""
        self._values[(kind, str(path))] = value

    def take(self, kind: str, path: Path) -> object | None:
        """Return and forget what was kept as the ``kind`` of the file at ``path``."""
        return self._values.pop((kind, str(path)), None)

    def clear(self) -> None:
        """Forget everything kept (the readings of the file are over)."""
        self._values.clear()


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs beyond the file: the ENT's Index Education partnership.

    ``memo``, when given, lets the readings of one file share work (see :class:`ParseMemo`).
    """

    partner_name: str = ""
    private_key_pem: bytes | None = field(default=None, repr=False)
    limits: Limits = Limits()
    memo: ParseMemo | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One value of ``ImportRun.source_format``: stored ``value``, French ``label``."""

    value: str
    label: str


class TimetableParser(Protocol):
    """One source format: how to recognise its files, how to name it, how to read it."""

    # Shown to users, e.g. "EDT / PRONOTE"; ``description`` completes "n'est ni …".
    label: str
    description: str
    # Lower-case file name endings a deposit of this format may have, e.g. (".xml",).
    suffixes: tuple[str, ...]
    # The source formats its timetables carry (``Timetable.source_format``).
    formats: tuple[FormatSpec, ...]

    def sniff(self, head: bytes) -> bool:
        """Tell whether a file starting with ``head`` (a few KiB) is of this format."""
        ...

    def parse(self, path: Path, *, filename: str, context: ParseContext) -> Timetable:
        """Parse the file at ``path``; raise ``TimetableInvalid`` with French problems."""
        ...


@runtime_checkable
class FingerprintingParser(TimetableParser, Protocol):
    """A parser that can tell two files of the same content without parsing them.

    Optional: :func:`imports.parsers.registry.content_fingerprint` uses the bytes' own
    SHA-256 for a parser without it.
    """

    def fingerprint(self, path: Path, *, context: ParseContext) -> str:
        """Return a SHA-256 (hex) of the timetable the file holds, ignoring what an export
        may change without changing the timetable (comments, the encryption envelope);
        raise ``TimetableInvalid`` when the file cannot be read."""
        ...


def is_number(text: str) -> bool:
    """Tell whether ``text`` is a whole number in ASCII digits, which ``int`` reads as such.

    ``str.isdigit`` also accepts "²" (which ``int`` refuses) and other scripts' digits: a file
    holding them gets the parser's usual warning, not a crash.
    """
    return text.isascii() and text.isdigit()
