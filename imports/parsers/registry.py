"""The source formats the ENT imports: one list of parsers, everything else derived from it.

Adding a format is one module following :class:`~imports.parsers.base.TimetableParser` plus
one line in :data:`PARSERS` (and a migration when it brings a new ``source_format`` value).
:data:`SourceFormat` (the choices of ``ImportRun.source_format``), the accepted file name
endings and the French names shown to users all come from :data:`PARSERS`; they are read
when needed, so a parser registered at run time (a test's toy format) is seen everywhere.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import models

from imports.parsers.base import FingerprintingParser, ParseContext, TimetableParser
from imports.parsers.index_education import INDEX_EDUCATION_PARSER
from imports.parsers.undeuxtemps import UNDEUXTEMPS_PARSER
from imports.timetable import Timetable, TimetableInvalid

PARSERS: list[TimetableParser] = [
    INDEX_EDUCATION_PARSER,
    UNDEUXTEMPS_PARSER,
]
SNIFF_BYTES = 4096

# The stored values of ImportRun.source_format: "" until a file is parsed.
SourceFormat = models.TextChoices(  # type: ignore[call-overload]
    "SourceFormat",
    [("UNKNOWN", ("", "Inconnu"))]
    + [(spec.value, (spec.value, spec.label)) for parser in PARSERS for spec in parser.formats],
)


def accepted_suffixes() -> tuple[str, ...]:
    """Return the file name endings a deposit may have, e.g. ``(".xml", ".zip")``."""
    return tuple(dict.fromkeys(suffix for parser in PARSERS for suffix in parser.suffixes))


def accepted_files_text() -> str:
    """Return the accepted files in French, e.g. ".xml (EDT / PRONOTE) et .zip (UnDeuxTEMPS)"."""
    parts = [f"{' ou '.join(parser.suffixes)} ({parser.label})" for parser in PARSERS]
    return ", ".join(parts[:-1]) + (" et " if len(parts) > 1 else "") + parts[-1]


def format_label(value: str) -> str:
    """Return the French name users know the stored format ``value`` by ("EDT / PRONOTE")."""
    for parser in PARSERS:
        for spec in parser.formats:
            if spec.value == value:
                return spec.label
    return value


def parser_for(head: bytes) -> TimetableParser | None:
    """Return the parser that recognises a file starting with ``head``, if any."""
    return next((parser for parser in PARSERS if parser.sniff(head)), None)


def parse_deposit(path: Path, *, filename: str, context: ParseContext) -> Timetable:
    """Parse the deposited file at ``path`` (``filename`` is the name it was deposited as).

    The format is told by the bytes, not the name. Raises ``TimetableInvalid`` with French
    messages and the action to take.
    """
    size = path.stat().st_size
    if size == 0:
        raise TimetableInvalid.one(
            "empty_file",
            f"Le fichier « {filename} » est vide.",
            "Relancez l'export depuis votre logiciel d'emploi du temps.",
        )
    if size > context.limits.max_bytes:
        raise TimetableInvalid.one(
            "too_large",
            f"Le fichier « {filename} » fait {size} octets, au-delà de la limite de "
            f"{context.limits.max_bytes} octets.",
            "Vérifiez que vous déposez bien l'export de l'emploi du temps.",
        )
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    parser = parser_for(head)
    if parser is None:
        raise TimetableInvalid.one(
            "unknown_format",
            f"Le fichier « {filename} » n'est ni "
            + " ni ".join(parser.description for parser in PARSERS)
            + ".",
            "Déposez le fichier produit par l'export vers l'ENT de votre logiciel d'emploi du "
            "temps, sans le renommer ni le modifier.",
        )
    return parser.parse(path, filename=filename, context=context)


def content_fingerprint(path: Path, *, context: ParseContext) -> str:
    """Return the SHA-256 (hex) of the timetable in the file at ``path``, without parsing it.

    Two exports of the same timetable share it even when their bytes differ in what the
    format lets an export change freely (see the parser's ``fingerprint``); a format without
    that knowledge, or a file that cannot be read, gets the SHA-256 of its bytes.
    """
    with path.open("rb") as stream:
        parser = parser_for(stream.read(SNIFF_BYTES))
    if isinstance(parser, FingerprintingParser):
        try:
            return parser.fingerprint(path, context=context)
        except TimetableInvalid:
            pass
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
