"""Writing a generated sample to disk: the AAF folder and the timetable exports.

:func:`write_sample` writes what a school's programs would hand the ENT: the AAF directory
feed (``aaf/``), the EDT / PRONOTE export in clear (``edt_<UAI>.xml``) and, for a partner key,
encrypted (``edt_<UAI>_chiffre.xml``), the UnDeuxTEMPS publication
(``<UAI>_<yyyyMMddHHmmss>_UDT.zip``) and a ``README.txt`` saying what was generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devtools.aaf_writer import write_aaf_folder
from devtools.container_encrypt import container_encrypt
from devtools.samples.edt_writer import write_index_education_xml
from devtools.samples.generator import Sample
from devtools.undeuxtemps_writer import write_undeuxtemps_zip

DEFAULT_PARTNER_NAME = "ENT-EDT-IMPORT"


@dataclass(frozen=True, slots=True)
class SampleFiles:
    out_dir: Path
    aaf_dir: Path
    aaf_files: tuple[Path, ...]
    edt_xml: Path
    edt_encrypted: Path | None
    udt_zip: Path
    readme: Path

    def paths(self) -> list[Path]:
        """Return every file written, AAF files first."""
        paths = [*self.aaf_files, self.edt_xml]
        if self.edt_encrypted is not None:
            paths.append(self.edt_encrypted)
        return [*paths, self.udt_zip, self.readme]


def write_sample(
    sample: Sample,
    out_dir: Path,
    *,
    encrypt_for: bytes | None = None,
    partner_name: str = DEFAULT_PARTNER_NAME,
) -> SampleFiles:
    """Write ``sample``'s files into ``out_dir`` (created if needed); return their paths.

    ``encrypt_for`` is the partner's RSA public key (PEM): when given, the EDT export is
    also written encrypted for ``partner_name``. Everything but the encrypted file is the
    same, byte for byte, for the same sample.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    aaf_dir = out_dir / "aaf"
    aaf_files = write_aaf_folder(aaf_dir, sample.aaf_records, export_date=sample.directory_date)
    main = sample.establishments[0]
    payload = write_index_education_xml(sample.timetable, uai=main.uai)
    edt_xml = out_dir / f"edt_{main.uai}.xml"
    edt_xml.write_bytes(payload)
    edt_encrypted = None
    if encrypt_for is not None:
        edt_encrypted = out_dir / f"edt_{main.uai}_chiffre.xml"
        edt_encrypted.write_bytes(
            container_encrypt(
                payload,
                recipients={partner_name: encrypt_for},
                uai=main.uai,
                software=sample.timetable.software,
                establishment_name=main.name,
                postal_city=f"{main.postal_code} {main.city.upper()}",
                exported_at=sample.exported_at,
            )
        )
    udt_zip = out_dir / f"{main.uai}_{sample.exported_at:%Y%m%d%H%M%S}_UDT.zip"
    write_undeuxtemps_zip(sample.timetable, udt_zip, exported_at=sample.exported_at)
    readme = out_dir / "README.txt"
    files = SampleFiles(
        out_dir=out_dir,
        aaf_dir=aaf_dir,
        aaf_files=tuple(sorted(aaf_files)),
        edt_xml=edt_xml,
        edt_encrypted=edt_encrypted,
        udt_zip=udt_zip,
        readme=readme,
    )
    readme.write_text(readme_text(sample, files, partner_name=partner_name), encoding="utf-8")
    return files


def summary_lines(sample: Sample) -> list[str]:
    """Return the sample's sizes as French lines."""
    c = sample.counts()
    year = sample.timetable.year
    return [
        f"Année scolaire : du {year.start:%d/%m/%Y} au "
        f"{year.end:%d/%m/%Y} (exclu), {len(sample.calendar.teaching_weeks)} semaines de cours, "
        f"{c['closings']} périodes de fermeture.",
        f"Élèves : {c['students']} ; enseignants : {c['teachers']} ; classes : {c['classes']} "
        f"({c['parts']} demi-classes) ; groupes : {c['groups']} ; salles : {c['rooms']} ; "
        f"matières : {c['subjects']}.",
        f"Cours hebdomadaires : {c['courses']} ; séances attendues : {c['sessions']}.",
        f"Annuaire AAF : {c['absent']} personnes de l'emploi du temps absentes, "
        f"{c['variants']} orthographiées autrement.",
    ]


def readme_text(sample: Sample, files: SampleFiles, *, partner_name: str) -> str:
    """Return the README of a written sample, in French."""
    lines = [
        f"Échantillon synthétique « {sample.preset} » (graine {sample.seed})",
        "",
        "Cité scolaire fictive :",
        *[f"  - {e.display_name}, {e.city} (UAI {e.uai})" for e in sample.establishments],
        "",
        *summary_lines(sample),
        "",
        "Fichiers :",
        f"  - {files.aaf_dir.name}/ : annuaire AAF (à charger avec « manage.py import_aaf »)",
        f"  - {files.edt_xml.name} : export EDT / PRONOTE en clair (ExportEmploiDuTemps)",
    ]
    if files.edt_encrypted is not None:
        lines.append(
            f"  - {files.edt_encrypted.name} : le même export chiffré pour le partenaire "
            f"« {partner_name} »"
        )
    lines += [
        f"  - {files.udt_zip.name} : publication UnDeuxTEMPS (UDCal_*.xml)",
        "",
        "Toutes les données sont inventées ; toute ressemblance avec des personnes réelles "
        "serait fortuite.",
    ]
    return "\n".join(lines) + "\n"
