"""Timetable parsers: one module per source format, no database access.

:func:`parse_deposit` is the single entry point the pipeline uses: it detects the format from
the bytes (a zip is UnDeuxTEMPS; an XML document is told by its root element), hands the file
to the format's parser and returns a :class:`~imports.timetable.Timetable`, or raises
:class:`~imports.timetable.TimetableInvalid` with French messages and the action to take.

Every parser works on a local file path (deposits are kept on disk or in storage and copied
to a temporary file), streams where it can, and is hardened: no entity expansion, no DTD, no
network, bounded sizes (:class:`Limits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imports.timetable import Timetable, TimetableInvalid

ZIP_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what a deposit may be (settings ``ENT_MAX_DEPOSIT_BYTES`` and below)."""

    max_bytes: int = 50 * 1024 * 1024
    max_zip_members: int = 500
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: int = 100
    max_decrypted_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs beyond the file: the ENT's Index Education partnership."""

    partner_name: str = ""
    private_key_pem: bytes | None = field(default=None, repr=False)
    limits: Limits = Limits()


def parse_deposit(path: Path, *, filename: str, context: ParseContext) -> Timetable:
    """Parse the deposited file at ``path`` (``filename`` is the name it was deposited as)."""
    from imports.parsers import index_education, undeuxtemps

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
    if head.startswith(ZIP_MAGIC):
        return undeuxtemps.parse_undeuxtemps_zip(path, context=context, filename=filename)
    if index_education.looks_like_index_education(head):
        return index_education.parse_index_education(path, context=context)
    raise TimetableInvalid.one(
        "unknown_format",
        f"Le fichier « {filename} » n'est ni un export EDT / PRONOTE (XML "
        "ExportEmploiDuTemps ou EXPORT_INDEX_EDUCATION) ni un export UnDeuxTEMPS (zip "
        "UDCal_*.xml).",
        "Déposez le fichier produit par l'export vers l'ENT de votre logiciel d'emploi du "
        "temps, sans le renommer ni le modifier.",
    )
