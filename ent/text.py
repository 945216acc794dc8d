"""Text helpers shared by the directory and matching: accent- and case-insensitive keys."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def ascii_fold(value: str) -> str:
    """Return ``value`` without diacritics (``Éloïse`` → ``Eloise``; ``Œ`` → ``OE``)."""
    if value.isascii():
        return value  # nothing to decompose (the usual name: a quick way out)
    value = value.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(*parts: str) -> str:
    """Return a matching key: lower-case ASCII words joined by single spaces.

    Hyphens, apostrophes and repeated spaces all fold to one space, so ``Jean-Marc`` and
    ``JEAN MARC`` give the same key.
    """
    folded = ascii_fold(" ".join(parts)).lower()
    return _NON_ALNUM.sub(" ", folded).strip()
