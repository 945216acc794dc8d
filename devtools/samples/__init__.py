"""Synthetic timetable samples: a fictional cité scolaire, its directory and its exports.

Use :func:`generate_sample` to build a :class:`Sample` (the timetable as the truth, the AAF
directory records, the dated sessions an import must produce), then :func:`write_sample` to
write its files. Pure Python: nothing here touches the database.
"""

from __future__ import annotations

from devtools.samples.edt_writer import write_index_education_xml
from devtools.samples.files import SampleFiles, write_sample
from devtools.samples.generator import PRESETS, SamplePresetError, generate_sample
from devtools.samples.model import ExpectedSession, Sample, SampleEstablishment

__all__ = [
    "PRESETS",
    "ExpectedSession",
    "Sample",
    "SampleEstablishment",
    "SampleFiles",
    "SamplePresetError",
    "generate_sample",
    "write_index_education_xml",
    "write_sample",
]
