"""Fixed vocabularies of the synthetic cité scolaire: names, subjects, curricula, time grid.

The subject codes follow the shape of the national subject nomenclature (6 digits, the
``ENTMatJointure`` of the AAF ``MatiereEducNat`` feed); they are plausible, not authoritative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Légaré", "Nguyen", "Benali", "Da Silva", "Le Goff",
    "Hébert", "Gauthier", "Chevalier", "Perrin", "Clément", "Gaillard", "Lefebvre", "Boyer",
    "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perret",
    "Mathieu", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Fontaine", "Barbier",
    "Brun", "Meunier", "Caron", "Renard", "Giraud", "Leclercq", "Rolland", "Aubert",
    "Lemaître", "Brunet", "Dupuis", "Étienne", "Colin", "Picard", "Roger", "Arnaud",
    "Lacroix", "Collet", "Jégou", "Prévost", "Hamon", "Le Bihan", "Saint-Martin",
    "Bouvier-Lenoir", "Pelletier", "Cordier", "Bouchard", "Lemoine", "Faure", "Renaud",
    "Benoît", "Cousin", "Bailly", "Hervé", "Lebrun", "Deschamps", "Besnard", "Morin",
    "Haddad", "Diallo", "Traoré", "Ferreira", "Rodrigues", "Kovačević", "Schmitt",
    "Weber", "Laborde", "Lagarde-Dumas", "Vasseur", "Marie", "Tessier", "Guillot",
    "Carré", "Charpentier", "Noël", "Royer", "Bérenger", "Lemaire", "Poirier", "Joly",
    "Œuvray", "Ménard", "Langlois", "Delaunay", "Lecœur", "Gilbert", "Maréchal",
)  # fmt: skip
FEMALE_FIRST_NAMES = (
    "Emma", "Louise", "Jade", "Alice", "Chloé", "Léa", "Manon", "Inès", "Zoé", "Éloïse",
    "Anaïs", "Camille", "Margaux", "Lina", "Rose", "Léna", "Juliette", "Ambre", "Agathe",
    "Clémence", "Maëlys", "Héloïse", "Lou", "Romane", "Noémie", "Anne-Sophie", "Marie-Ève",
    "Éléonore", "Célia", "Aurélie", "Hélène", "Sophie", "Nathalie", "Isabelle", "Cécile",
    "Bénédicte", "Gaëlle", "Françoise", "Sylvie", "Valérie", "Fatoumata", "Yasmine",
    "Océane", "Mélissa", "Capucine", "Salomé", "Élise", "Mathilde", "Pénélope", "Ophélie",
)  # fmt: skip
MALE_FIRST_NAMES = (
    "Lucas", "Hugo", "Léo", "Gabriel", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël",
    "Noé", "Sacha", "Yanis", "Timéo", "Jean-Marc", "Théo", "Nathan", "Ethan", "Mathéo",
    "Noah", "Enzo", "Clément", "Maxime", "Antoine", "Baptiste", "Loïc", "Jérôme", "Hervé",
    "François", "Jean-Baptiste", "Pierre-Yves", "Rémi", "Benoît", "Grégoire", "Aurélien",
    "Frédéric", "Stéphane", "Mickaël", "Sébastien", "Thibault", "Mamadou", "Karim",
    "Anis", "Joël", "Gaël", "Noël", "Côme", "Élie", "Aymeric", "Jean-Noël",
)  # fmt: skip
PATRONS = (
    "Jules Verne", "Marie Curie", "George Sand", "Jean Moulin", "Simone Veil",
    "Victor Hugo", "Louise Michel", "Jean Jaurès", "Camille Claudel", "Albert Camus",
    "Émile Zola", "Olympe de Gouges", "Henri Matisse", "Germaine Tillion", "Paul Éluard",
)  # fmt: skip
# (city, postal code, département digits of the UAI)
CITIES = (
    ("Le Havre", "76600", "076"), ("Rouen", "76000", "076"), ("Caen", "14000", "014"),
    ("Évreux", "27000", "027"), ("Amiens", "80000", "080"), ("Lisieux", "14100", "014"),
    ("Fécamp", "76400", "076"), ("Saint-Lô", "50000", "050"), ("Alençon", "61000", "061"),
    ("Cherbourg-en-Cotentin", "50100", "050"), ("Dieppe", "76200", "076"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SubjectInfo:
    key: str  # internal key used by the curricula
    code: str  # national-like 6-digit code (the timetable's Matiere Code, AAF ENTMatJointure)
    label: str
    discipline: str  # STS-like discipline code of the teachers who teach it
    room_kind: str = "classroom"


SUBJECTS = {
    s.key: s
    for s in (
        SubjectInfo("FR", "020700", "FRANCAIS", "L0202"),
        SubjectInfo("MA", "061300", "MATHEMATIQUES", "L1300"),
        SubjectInfo("HG", "040300", "HISTOIRE-GEOGRAPHIE", "L1000"),
        SubjectInfo("EMC", "040600", "ENSEIGNEMENT MORAL ET CIVIQUE", "L1000"),
        SubjectInfo("ANG", "030201", "ANGLAIS LV1", "L0422"),
        SubjectInfo("ESP", "030602", "ESPAGNOL LV2", "L0426"),
        SubjectInfo("ALL", "030102", "ALLEMAND LV2", "L0421"),
        SubjectInfo("SVT", "062900", "SCIENCES DE LA VIE ET DE LA TERRE", "L1600", "lab"),
        SubjectInfo("PC", "062800", "PHYSIQUE-CHIMIE", "L1500", "lab"),
        SubjectInfo("TEC", "070200", "TECHNOLOGIE", "L1400", "techno"),
        SubjectInfo("ARP", "080100", "ARTS PLASTIQUES", "L1800", "arts"),
        SubjectInfo("MUS", "080400", "EDUCATION MUSICALE", "L1700", "music"),
        SubjectInfo("EPS", "100100", "EDUCATION PHYSIQUE ET SPORTIVE", "L1900", "sport"),
        SubjectInfo("LAT", "021000", "LATIN", "L0201"),
        SubjectInfo("SES", "076700", "SCIENCES ECONOMIQUES ET SOCIALES", "L8011"),
        SubjectInfo("SNT", "113900", "SCIENCES NUMERIQUES ET TECHNOLOGIE", "L1400", "techno"),
        SubjectInfo("PHI", "010100", "PHILOSOPHIE", "L0100"),
        SubjectInfo("ENSC", "062400", "ENSEIGNEMENT SCIENTIFIQUE", "L1500", "lab"),
        SubjectInfo("SPMA", "061310", "SPECIALITE MATHEMATIQUES", "L1300"),
        SubjectInfo("SPPC", "062810", "SPECIALITE PHYSIQUE-CHIMIE", "L1500", "lab"),
        SubjectInfo("SPSVT", "062910", "SPECIALITE SVT", "L1600", "lab"),
        SubjectInfo("SPSES", "076710", "SPECIALITE SES", "L8011"),
        SubjectInfo("HGGSP", "040320", "HIST.-GEO. GEOPOLITIQUE SC. POLITIQUES", "L1000"),
        SubjectInfo("HLP", "020720", "HUMANITES LITTERATURE PHILOSOPHIE", "L0202"),
        SubjectInfo("LLCER", "030220", "LANGUES LITT. CULT. ETRANGERES ANGLAIS", "L0422"),
        SubjectInfo("NSI", "113910", "NUMERIQUE ET SCIENCES INFORMATIQUES", "L1400", "techno"),
        SubjectInfo("SI", "070210", "SCIENCES DE L'INGENIEUR", "L1400", "techno"),
    )
}

# The curricula, per level, in places of the grid (55 minutes). Entry shapes:
#   ("C", subject, places, count)   whole-class course, every week
#   ("A"/"B", subject, places)      whole-class course on weeks A (or B) only
#   ("HAB", subject, places)        one course: half-group 1 on weeks A, half-group 2 on B
#   ("HP", subject, places)         two courses, one per class part, every week
#   ("CO", subject, other, places)  whole-class course co-taught with a teacher of ``other``
#   ("BLOCK", name, (subjects…), places, count)   parallel groups across a barrette
#   ("OPT", subject, places)        one option group across a barrette
Entry = tuple
COLLEGE_CURRICULA: dict[str, tuple[Entry, ...]] = {
    "6": (
        ("C", "FR", 2, 1), ("C", "FR", 1, 2), ("HAB", "FR", 1), ("C", "MA", 1, 4),
        ("C", "HG", 1, 3), ("B", "EMC", 1), ("C", "ANG", 2, 1), ("C", "ANG", 1, 2),
        ("HAB", "SVT", 2), ("C", "PC", 1, 1), ("HP", "TEC", 1), ("C", "EPS", 2, 2),
        ("C", "ARP", 1, 1), ("C", "MUS", 1, 1), ("CO", "FR", "MA", 1),
    ),
    "5": (
        ("C", "FR", 2, 1), ("C", "FR", 1, 2), ("HAB", "FR", 1), ("C", "MA", 1, 3),
        ("HAB", "MA", 1), ("C", "HG", 1, 3), ("A", "EMC", 1),
        ("C", "ANG", 1, 3), ("BLOCK", "LV2", ("ESP", "ESP", "ALL"), 2, 1),
        ("HAB", "SVT", 2), ("C", "PC", 1, 1), ("HP", "TEC", 1), ("C", "EPS", 2, 1),
        ("C", "EPS", 1, 1), ("C", "ARP", 1, 1), ("C", "MUS", 1, 1), ("OPT", "LAT", 1),
    ),
    "4": (
        ("C", "FR", 2, 1), ("C", "FR", 1, 2), ("HAB", "FR", 1), ("C", "MA", 1, 3),
        ("HAB", "MA", 1), ("C", "HG", 1, 3), ("B", "EMC", 1),
        ("C", "ANG", 1, 3), ("BLOCK", "LV2", ("ESP", "ESP", "ALL"), 2, 1),
        ("C", "SVT", 1, 1), ("HAB", "PC", 2), ("HP", "TEC", 1), ("C", "EPS", 2, 1),
        ("C", "EPS", 1, 1), ("C", "ARP", 1, 1), ("C", "MUS", 1, 1), ("OPT", "LAT", 2),
    ),
    "3": (
        ("C", "FR", 2, 1), ("C", "FR", 1, 2), ("C", "MA", 2, 1), ("C", "MA", 1, 2),
        ("C", "HG", 1, 3), ("A", "EMC", 1), ("C", "ANG", 1, 3),
        ("BLOCK", "LV2", ("ESP", "ESP", "ALL"), 2, 1), ("C", "SVT", 1, 1), ("HAB", "PC", 2),
        ("HP", "TEC", 1), ("C", "EPS", 2, 1), ("C", "EPS", 1, 1), ("C", "ARP", 1, 1),
        ("C", "MUS", 1, 1), ("OPT", "LAT", 2), ("CO", "FR", "HG", 1),
    ),
}  # fmt: skip
LYCEE_CURRICULA: dict[str, tuple[Entry, ...]] = {
    "2NDE": (
        ("C", "FR", 2, 2), ("C", "MA", 2, 2), ("C", "HG", 2, 1), ("C", "HG", 1, 1),
        ("A", "EMC", 1), ("BLOCK", "LV1", ("ANG", "ANG", "ANG"), 2, 1),
        ("BLOCK", "LV2", ("ESP", "ESP", "ALL"), 2, 1), ("C", "SES", 1, 1), ("HAB", "SVT", 2),
        ("C", "PC", 2, 1), ("HP", "SNT", 1), ("C", "EPS", 2, 1),
    ),
    "1RE": (
        ("C", "FR", 2, 2), ("C", "HG", 2, 1), ("B", "EMC", 1),
        ("BLOCK", "LV1", ("ANG", "ANG", "ANG"), 2, 1),
        ("BLOCK", "LV2", ("ESP", "ESP", "ALL"), 2, 1), ("C", "ENSC", 2, 1), ("C", "EPS", 2, 1),
        ("BLOCK", "SPE1", ("SPMA", "SPSES", "HLP"), 2, 2),
        ("BLOCK", "SPE2", ("SPPC", "HGGSP", "LLCER"), 2, 2),
        ("BLOCK", "SPE3", ("SPSVT", "NSI", "SI"), 2, 2),
    ),
    "TLE": (
        ("C", "PHI", 2, 2), ("C", "HG", 2, 1), ("A", "EMC", 1),
        ("BLOCK", "LV1", ("ANG", "ANG", "ANG"), 2, 1),
        ("BLOCK", "LV2", ("ESP", "ESP", "ALL"), 2, 1), ("C", "ENSC", 2, 1), ("C", "EPS", 2, 1),
        ("BLOCK", "SPE1", ("SPMA", "SPSES", "HLP"), 2, 3),
        ("BLOCK", "SPE2", ("SPPC", "HGGSP", "SPSVT"), 2, 3),
    ),
}  # fmt: skip

# The time grid: 10 places of 55 minutes, breaks between some of them (PRONOTE labels each
# place with its own times).
PLACE_MINUTES = 55
PLACE_TIMES = tuple(
    (dt.time(h1, m1), dt.time(h2, m2))
    for h1, m1, h2, m2 in (
        (8, 0, 8, 55), (8, 55, 9, 50), (10, 5, 11, 0), (11, 0, 11, 55), (12, 0, 12, 55),
        (13, 5, 14, 0), (14, 0, 14, 55), (15, 10, 16, 5), (16, 5, 17, 0), (17, 0, 17, 55),
    )
)  # fmt: skip
LUNCH_PLACE = 4
WORKING_DAYS = (1, 2, 3, 4, 5)
# Wednesday afternoon is free, as in most French secondary schools.
PLACES_BY_DAY = {
    day: tuple(p for p in range(len(PLACE_TIMES)) if p != LUNCH_PLACE and (day != 3 or p < 4))
    for day in WORKING_DAYS
}
