"""Hardened XML reading for every file that comes from outside.

lxml is used with entity resolution, DTD loading and network access off, and documents that
declare entities are refused outright (a legitimate export never needs one), so neither
"billion laughs" nor external-entity tricks can reach the parser.
"""

from __future__ import annotations

from typing import IO

from lxml import etree

# How far into a document its prolog (XML declaration, DOCTYPE) may reach.
PROLOG_SCAN_BYTES = 64 * 1024


class UnsafeXmlError(ValueError):
    """The document declares entities or is otherwise refused before parsing."""


def check_prolog(head: bytes) -> None:
    """Refuse a document whose prolog declares entities (DTD internal subset)."""
    lowered = head.lower()
    if b"<!entity" in lowered or b"<!element" in lowered or b"<!attlist" in lowered:
        raise UnsafeXmlError(
            "Le fichier contient des déclarations DTD (<!ENTITY …>) interdites pour des "
            "raisons de sécurité. Déposez le fichier tel que produit par le logiciel, sans "
            "modification."
        )


def check_stream_prolog(stream: IO[bytes]) -> None:
    """Check the prolog of a seekable binary stream, then rewind it."""
    position = stream.tell()
    check_prolog(stream.read(PROLOG_SCAN_BYTES))
    stream.seek(position)


def safe_parser() -> etree.XMLParser:
    """Return an lxml parser that expands nothing and fetches nothing."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def safe_iterparse(stream: IO[bytes], tag: str | tuple[str, ...]) -> etree.iterparse:
    """Return an ``iterparse`` over ``stream`` yielding ``end`` events for ``tag``."""
    check_stream_prolog(stream)
    return etree.iterparse(
        stream,
        events=("end",),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
