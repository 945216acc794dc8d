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


# libxml2's error codes, as users can understand them; anything else is "mal formé".
_SYNTAX_ERRORS_FR = {
    etree.ErrorTypes.ERR_DOCUMENT_EMPTY: "le fichier est vide",
    etree.ErrorTypes.ERR_DOCUMENT_START: "le début du fichier n'est pas du XML",
    etree.ErrorTypes.ERR_DOCUMENT_END: "du contenu suit la fin du document",
    etree.ErrorTypes.ERR_EXTRA_CONTENT: "du contenu suit la fin du document",
    etree.ErrorTypes.ERR_GT_REQUIRED: "une balise n'est pas refermée (« > » manquant)",
    etree.ErrorTypes.ERR_LTSLASH_REQUIRED: "une balise fermante est incomplète",
    etree.ErrorTypes.ERR_TAG_NAME_MISMATCH: (
        "une balise fermante ne correspond pas à la balise ouverte"
    ),
    etree.ErrorTypes.ERR_TAG_NOT_FINISHED: "le fichier s'arrête au milieu d'un élément",
    etree.ErrorTypes.ERR_INVALID_CHAR: "un caractère n'est pas autorisé en XML",
    etree.ErrorTypes.ERR_INVALID_CHARREF: "une référence de caractère (&#…;) est invalide",
    etree.ErrorTypes.ERR_INVALID_ENCODING: (
        "des caractères ne correspondent pas à l'encodage déclaré"
    ),
    etree.ErrorTypes.ERR_UNKNOWN_ENCODING: "l'encodage déclaré est inconnu",
    etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING: "l'encodage déclaré n'est pas pris en charge",
    etree.ErrorTypes.ERR_NAME_REQUIRED: "un nom de balise ou d'attribut est attendu",
    etree.ErrorTypes.ERR_LT_IN_ATTRIBUTE: "une valeur d'attribut contient « < »",
    etree.ErrorTypes.ERR_ATTRIBUTE_NOT_STARTED: "une valeur d'attribut n'est pas entre guillemets",
    etree.ErrorTypes.ERR_ATTRIBUTE_NOT_FINISHED: "une valeur d'attribut n'est pas refermée",
    etree.ErrorTypes.ERR_ATTRIBUTE_WITHOUT_VALUE: "un attribut n'a pas de valeur",
    etree.ErrorTypes.ERR_ATTRIBUTE_REDEFINED: "un attribut est répété dans une même balise",
    etree.ErrorTypes.ERR_STRING_NOT_STARTED: "une valeur n'est pas entre guillemets",
    etree.ErrorTypes.ERR_STRING_NOT_CLOSED: "une valeur entre guillemets n'est pas refermée",
    etree.ErrorTypes.ERR_UNDECLARED_ENTITY: "une entité (&…;) n'est pas déclarée",
    etree.ErrorTypes.ERR_ENTITY_LOOP: "des entités se référencent en boucle",
    etree.ErrorTypes.ERR_RESOURCE_LIMIT: "le document dépasse les limites de lecture",
}


def xml_syntax_error_fr(error: etree.XMLSyntaxError) -> tuple[str, str]:
    """Return what went wrong in French, with its line and column, and libxml2's own text.

    The first part goes in French sentences shown to users; the second, untranslated, is
    the technical detail they may pass on to support.
    """
    described = _SYNTAX_ERRORS_FR.get(error.code, "le XML est mal formé")
    line, offset = getattr(error, "lineno", None), getattr(error, "offset", None)
    column = offset + 1 if offset is not None else None  # lxml counts from 0, people from 1
    if line and column:
        where = f"ligne {line}, colonne {column} : "
    elif line:
        where = f"ligne {line} : "
    else:
        where = ""
    return where + described, (error.msg or "").strip()
