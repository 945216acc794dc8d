"""Small hand-written EDT / PRONOTE exports (``ExportEmploiDuTemps``) for parser tests.

:func:`edt_root` builds a tiny but complete collège timetable as an lxml tree that tests
may change (add a course, drop a section) before serialising it with :func:`to_bytes`. The
default document is valid against ``ExportEmploiDuTemps.xsd``.

The school year runs from Monday 1 September 2025 to Friday 3 July 2026 (weeks 1–44); every
resource uses the mask of the real export quoted in the spec, :data:`SPEC_MASK` (weeks 1–7,
10–16, 19–25, 28–33, 36–44), so the holidays are weeks 8–9, 17–18, 26–27 and 34–35.
"""

from __future__ import annotations

from lxml import etree
from lxml.builder import ElementMaker

from ent.identifiers import make_uai

NS = "http://www.index-education.com/exportemploidutemps"
UAI = make_uai("0750001")
OTHER_UAI = make_uai("0931234")
SPEC_MASK = 35132630760702
SPEC_WEEKS = frozenset(
    [*range(1, 8), *range(10, 17), *range(19, 26), *range(28, 34), *range(36, 45)]
)

E = ElementMaker(namespace=NS, nsmap={None: NS})


def _resources(kind: str, masks: dict[str, int]) -> list[etree._Element]:
    return [E(kind, Ident=ident, Semaines=str(mask)) for ident, mask in masks.items()]


def course(
    *,
    day: int,
    first_place: int,
    places: int,
    subject: str,
    teachers: dict[str, int] | None = None,
    classes: dict[str, int] | None = None,
    parts: dict[str, int] | None = None,
    groups: dict[str, int] | None = None,
    rooms: dict[str, int] | None = None,
) -> etree._Element:
    """Return a ``Cours`` element; resources map an ``Ident`` to its ``Semaines`` mask."""
    return E.Cours(
        E.Matiere(Ident=subject),
        *_resources("Professeur", teachers or {}),
        *_resources("Classe", classes or {}),
        *_resources("PartieDeClasse", parts or {}),
        *_resources("Groupe", groups or {}),
        *_resources("Salle", rooms or {}),
        Jour=str(day),
        NumeroPlaceDebut=str(first_place),
        NombrePlaces=str(places),
    )


def edt_root(
    *,
    uai: str = UAI,
    version: str = "1.1",
    year_start: str = "2025-09-01",
    year_end: str = "2026-07-03",
    week1: str = "2025-09-01",
) -> etree._Element:
    """Return the default tiny export as an lxml tree."""
    places = [("0", "08:00:00", "09:00:00"), ("1", "09:00:00", "10:00:00")]
    places += [("2", "10:15:00", "11:15:00"), ("3", "11:15:00", "12:15:00")]
    return E.ExportEmploiDuTemps(
        E.AnneeScolaire(DateDebut=year_start, DateFin=year_end, DatePremierJourSemaine1=week1),
        E.GrilleHoraire(
            E.JoursOuvres(*(E.Jour(str(day)) for day in (1, 2, 3, 4, 5))),
            E.PlacesParJour(
                *(E.Place(Numero=n, LibelleHeureDebut=a, LibelleHeureFin=b) for n, a, b in places)
            ),
            NombrePlacesParJour="4",
            DureePlace="60",
        ),
        E.Matieres(
            E.Matiere(Ident="1", Code="MATHS", Libelle="Mathématiques"),
            E.Matiere(Ident="2", Code="FRANC", Libelle="Français"),
            E.Matiere(Ident="3", Code="AGL1", Libelle="Anglais LV1"),
        ),
        E.Professeurs(
            E.Professeur(
                Ident="1",
                Nom="DUPONT",
                Prenom="Marie",
                DateNaissance="1980-02-29",
                IDSTS="4521",
                IDPN="PN-0001",
                IDCAS="mdupont",
            ),
            E.Professeur(Ident="2", Nom="MARTIN", Prenom="Paul"),
        ),
        E.Classes(
            E.Classe(
                E.PartieDeClasse(Ident="11"), E.PartieDeClasse(Ident="12"), Ident="1", Nom="3A"
            ),
            E.Classe(Ident="2", Nom="3B"),
        ),
        E.Groupes(
            E.Groupe(E.Classe(Ident="2"), E.PartieDeClasse(Ident="11"), Ident="1", Nom="3AGL1"),
        ),
        E.Salles(E.Salle(Ident="1", Nom="S101"), E.Salle(Ident="2", Nom="Labo")),
        E.Eleves(
            E.Eleve(
                E.Classe(Ident="1", DateEntree="2025-09-01", DateSortie="2026-07-03"),
                E.PartieDeClasse(Ident="11", DateEntree="2025-09-01", DateSortie="2026-01-31"),
                Ident="1",
                Nom="BERNARD",
                Prenom="Alice",
                DateNaissance="2011-05-04",
                Sexe="Feminin",
                NumeroNational="123456789AB",
                IDSconet="98765",
                IDPN="PN-E1",
            ),
            E.Eleve(
                E.Classe(Ident="2", DateEntree="2025-09-01", DateSortie="2026-07-03"),
                Ident="2",
                Nom="PETIT",
                Prenom="Bob",
                DateNaissance="2011-08-15",
                Sexe="Masculin",
            ),
        ),
        E.Cours(
            course(
                day=1,
                first_place=0,
                places=2,
                subject="1",
                teachers={"1": SPEC_MASK},
                classes={"1": SPEC_MASK},
                rooms={"1": SPEC_MASK},
            ),
            course(
                day=3,
                first_place=2,
                places=1,
                subject="3",
                teachers={"2": SPEC_MASK},
                groups={"1": SPEC_MASK},
                rooms={"2": SPEC_MASK},
            ),
        ),
        Version=version,
        UAI=uai,
    )


def section(root: etree._Element, name: str) -> etree._Element:
    """Return the top-level section ``name`` of ``root`` (e.g. ``"Cours"``)."""
    found = root.find(f"{{{NS}}}{name}")
    assert found is not None, name
    return found


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def edt_bytes(**kwargs: str) -> bytes:
    """Return the default tiny export serialised, with :func:`edt_root` overrides."""
    return to_bytes(edt_root(**kwargs))
