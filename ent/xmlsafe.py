"""Hardened XML reading for every file that comes from outside.

lxml is used with entity resolution, DTD loading and network access off, and documents that
declare entities are refused outright (a legitimate export never needs one), so neither
"billion laughs" nor external-entity tricks can reach the parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from lxml import etree

# How far into a document its prolog (XML declaration, DOCTYPE) may reach.
PROLOG_SCAN_BYTES = 64 * 1024


class UnsafeXmlError(ValueError):
    """The document declares entities or is otherwise refused before parsing."""


_DECLARATIONS_REFUSED = (
    "Le fichier contient des déclarations DTD (<!ENTITY …>) interdites pour des raisons de "
    "sécurité. Déposez le fichier tel que produit par le logiciel, sans modification."
)


def check_prolog(head: bytes) -> None:
    """Refuse a document whose prolog declares entities (DTD internal subset).

    This only sees ``head``; :func:`check_tree` catches a DOCTYPE pushed further down (by a
    long comment, say) once the parser has reached the root element.
    """
    lowered = head.lower()
    if b"<!entity" in lowered or b"<!element" in lowered or b"<!attlist" in lowered:
        raise UnsafeXmlError(_DECLARATIONS_REFUSED)


def check_tree(node: etree._Element | etree._ElementTree) -> None:
    """Refuse a parsed document whose internal DTD declares entities, wherever it stood.

    Nothing was expanded (the parsers resolve no entity); this refuses the file outright, as a
    legitimate export never declares one.
    """
    tree = node if isinstance(node, etree._ElementTree) else node.getroottree()
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeXmlError(_DECLARATIONS_REFUSED)


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


def safe_iterparse(
    stream: IO[bytes], tag: str | tuple[str, ...]
) -> Iterator[tuple[str, etree._Element]]:
    """Yield ``end`` events for ``tag`` from ``stream``, checked as :func:`check_tree` says.

    The document is refused before its first element is handed out.
    """
    check_stream_prolog(stream)
    events = etree.iterparse(
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
    checked = False
    for event, element in events:
        if not checked:
            check_tree(element)
            checked = True
        yield event, element
