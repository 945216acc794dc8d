"""The shared specification folder (``../shared`` beside the project root), when it is there.

Index Education's schemas (``ExportEmploiDuTemps.xsd``, ``ConteneurExportChiffre.xsd``) are not
redistributed with the project: tests that validate against them read :data:`XSD_DIR` and skip
with the reason when the folder is absent, except under CI, where they fail (CI has it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from tests.imports.celery_harness import on_ci

# The one place that knows where the schemas are.
XSD_DIR = Path(settings.BASE_DIR).parent / "shared" / "spec" / "xsd"


def xsd_path(name: str) -> Path:
    """Return the path of schema ``name``; skip (fail on CI) when it is not there."""
    path = XSD_DIR / name
    if path.is_file():
        return path
    message = (
        f"Index Education's schema {name} is not in {XSD_DIR} "
        "(the shared specification folder ../shared/spec/xsd beside the project)"
    )
    if on_ci():
        pytest.fail(message)
    pytest.skip(message)


def xsd(name: str) -> etree.XMLSchema:
    """Return Index Education's schema ``name``, or skip (fail on CI) when absent."""
    return etree.XMLSchema(etree.parse(str(xsd_path(name))))
