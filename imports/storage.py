"""Reading deposited files back from whichever storage holds them (disk or S3 bucket).

Deposited files go through Django's storage API (``STORAGES["default"]``): the local
filesystem in the embedded default, django-storages' S3 backend when ``ENT_S3_BUCKET`` is set.
:func:`stored_file_chunks` streams a file from either without a local copy: from S3 it reads
the object's body as it arrives instead of downloading it whole first (``S3File`` would).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models.fields.files import FieldFile

CHUNK_BYTES = 256 * 1024


def stored_file_chunks(field_file: FieldFile, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Open ``field_file`` now (``FileNotFoundError`` if it is gone) and return its chunks."""
    if not field_file.name:
        raise FileNotFoundError("no stored file")
    opened = field_file.storage.open(field_file.name, "rb")
    s3_object = getattr(opened, "obj", None)
    if s3_object is not None:
        return _body_chunks(s3_object.get()["Body"], chunk_bytes)
    return _file_chunks(opened, chunk_bytes)


def _body_chunks(body: Any, chunk_bytes: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_bytes)
    finally:
        body.close()


def _file_chunks(opened: Any, chunk_bytes: int) -> Iterator[bytes]:
    with opened:
        while chunk := opened.read(chunk_bytes):
            yield chunk
