"""The ENT's own domain: school groups, establishments, the directory and the timetable.

Periods are half-open: ``[start_date, end_date)``. Sessions are kept narrow (a foreign key to
their teaching service, two datetimes and a room) so that tens of thousands insert fast.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ent.identifiers import UAI_DB_REGEX, validate_uai
from ent.text import name_key


class SchoolGroup(models.Model):
    """A cité scolaire: establishments sharing one timetable, thresholds and depositors."""

    name = models.CharField(_("nom"), max_length=200)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("cité scolaire")
        verbose_name_plural = _("cités scolaires")

    def __str__(self) -> str:
        return self.name


class Establishment(models.Model):
    class Kind(models.TextChoices):
        COLLEGE = "COLLEGE", _("Collège")
        LYCEE = "LYCEE", _("Lycée")
        LYCEE_PRO = "LYCEE_PRO", _("Lycée professionnel")
        OTHER = "OTHER", _("Autre")

    school_group = models.ForeignKey(
        SchoolGroup, on_delete=models.PROTECT, related_name="establishments"
    )
    uai = models.CharField(_("UAI"), max_length=8, unique=True, validators=[validate_uai])
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    aaf_jointure = models.CharField(
        _("jointure AAF"), max_length=64, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        constraints = [
            models.CheckConstraint(
                condition=Q(uai__regex=UAI_DB_REGEX), name="establishment_uai_shape"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"


class SchoolYear(models.Model):
    """A school year of a school group, ``[start_date, end_date)``."""

    school_group = models.ForeignKey(
        SchoolGroup, on_delete=models.CASCADE, related_name="school_years"
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin (exclue)"))

    class Meta:
        verbose_name = _("année scolaire")
        verbose_name_plural = _("années scolaires")
        constraints = [
            models.UniqueConstraint(
                fields=["school_group", "start_date"], name="school_year_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="school_year_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start_date.year}-{self.start_date.year + 1}"

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day < self.end_date

    @property
    def is_declared(self) -> bool:
        """False for the national default the ENT uses when the school group declared none."""
        return self.pk is not None

    @property
    def last_day(self) -> dt.date:
        return self.end_date - dt.timedelta(days=1)

    @property
    def notice(self) -> str:
        """The French sentence saying which year applies and who can adjust it."""
        from ent.school_years import school_year_notice

        return school_year_notice(
            start=self.start_date, end=self.end_date, declared=self.is_declared
        )


class Person(models.Model):
    """Someone of the ENT directory (filled from the AAF feed)."""

    class Kind(models.TextChoices):
        TEACHER = "TEACHER", _("Enseignant")
        STAFF = "STAFF", _("Personnel")
        STUDENT = "STUDENT", _("Élève")
        RELATIVE = "RELATIVE", _("Responsable")

    kind = models.CharField(_("catégorie"), max_length=16, choices=Kind.choices)
    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    aaf_jointure = models.CharField(
        _("jointure AAF"), max_length=64, unique=True, null=True, blank=True
    )
    ine = models.CharField(_("INE"), max_length=11, unique=True, null=True, blank=True)
    # The directory's functions, readable ("Direction — Personnel de direction"), staff only.
    function = models.CharField(_("fonction"), max_length=255, blank=True)
    sts_id = models.CharField(_("identifiant STS"), max_length=32, blank=True, db_index=True)
    pronote_idpn = models.CharField(_("IDPN PRONOTE"), max_length=64, blank=True, db_index=True)
    # Accent- and case-insensitive "last first" key, kept in sync in save().
    search_key = models.CharField(max_length=320, editable=False, db_index=True)
    establishments = models.ManyToManyField(
        Establishment, related_name="people", blank=True, verbose_name=_("établissements")
    )
    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("compte ENT"),
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        indexes = [models.Index(fields=["kind", "search_key"])]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_key = name_key(self.last_name, self.first_name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def display_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


class SchoolClass(models.Model):
    """A class (division) of an establishment."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="classes"
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("libellé"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("classe")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["establishment", "code"], name="class_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class TeachingGroup(models.Model):
    """A teaching group: part of a class or across classes."""

    class Source(models.TextChoices):
        DIRECTORY = "DIRECTORY", _("Annuaire")
        TIMETABLE = "TIMETABLE", _("Emploi du temps")
        MANUAL = "MANUAL", _("Saisie manuelle")

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="teaching_groups"
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("libellé"), max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.DIRECTORY)
    classes = models.ManyToManyField(SchoolClass, related_name="teaching_groups", blank=True)
    # A digest of the group's timetable memberships as the last import left them (see
    # imports.services.apply._apply_memberships); any write to its memberships empties it
    # (PostgreSQL triggers, migration ent/0010).
    membership_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("groupe")
        verbose_name_plural = _("groupes")
        constraints = [
            models.UniqueConstraint(fields=["establishment", "code"], name="group_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class Membership(models.Model):
    """Shared fields of class and group memberships: a person over ``[start_date, end_date)``."""

    class Source(models.TextChoices):
        DIRECTORY = "DIRECTORY", _("Annuaire")
        TIMETABLE = "TIMETABLE", _("Emploi du temps")

    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("fin (exclue)"), null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.DIRECTORY)

    class Meta:
        abstract = True


class ClassMembership(Membership):
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("appartenance à une classe")
        verbose_name_plural = _("appartenances aux classes")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "school_class", "source"], name="class_membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gt=F("start_date")),
                name="class_membership_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in class {self.school_class_id}"


class GroupMembership(Membership):
    class Role(models.TextChoices):
        STUDENT = "STUDENT", _("Élève")
        TEACHER = "TEACHER", _("Enseignant")

    # No index of its own on person: the unique constraint (person, group, role, source)
    # serves every lookup by person, and an import writes tens of thousands of memberships.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, db_index=False)
    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)

    class Meta:
        verbose_name = _("appartenance à un groupe")
        verbose_name_plural = _("appartenances aux groupes")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "group", "role", "source"], name="group_membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gt=F("start_date")),
                name="group_membership_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in group {self.group_id} ({self.role})"


class NationalSubject(models.Model):
    """A subject of the national nomenclature (AAF ``MatiereEducNat``)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    label = models.CharField(_("libellé"), max_length=200)

    class Meta:
        verbose_name = _("matière nationale")
        verbose_name_plural = _("matières nationales")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Subject(models.Model):
    """A subject (matière) of an establishment."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="subjects"
    )
    code = models.CharField(_("code"), max_length=64)
    label = models.CharField(_("libellé"), max_length=200)
    national_code = models.CharField(_("code national"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("matière")
        verbose_name_plural = _("matières")
        constraints = [
            models.UniqueConstraint(fields=["establishment", "code"], name="subject_unique_code")
        ]

    def __str__(self) -> str:
        return self.label


class TeachingService(models.Model):
    """A subject taught by given teachers to given classes/groups (service d'enseignement).

    ``key`` is the natural identity computed by the import from the subject, the audience and
    the teachers, so a re-import finds the same row again.
    """

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="teaching_services"
    )
    key = models.CharField(max_length=64)
    # The identity without the teachers: tells a modified service from a new one.
    audience_key = models.CharField(max_length=1024, blank=True)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="services")
    teachers = models.ManyToManyField(Person, related_name="teaching_services", blank=True)
    classes = models.ManyToManyField(SchoolClass, related_name="teaching_services", blank=True)
    groups = models.ManyToManyField(TeachingGroup, related_name="teaching_services", blank=True)
    weekly_minutes = models.PositiveIntegerField(_("volume hebdomadaire (min)"), default=0)
    is_active = models.BooleanField(_("actif"), default=True)
    # Written by the timetable import: {"from": epoch, "to": epoch, "weeks": {monday: digest}},
    # a digest of the generated sessions of each week of [from, to). Any other write to this
    # service's sessions resets it to NULL (database triggers, migration
    # 0005_teachingservice_session_digests), so a digest found here describes the rows.
    session_digests = models.JSONField(null=True, blank=True, default=None, editable=False)
    # Written by the timetable import: a digest of the file's courses that produced this
    # service's sessions and of what else their planning reads (imports.planning
    # course_digests). A re-import whose courses give the same digest, while the digests
    # above still hold, skips the service (imports.services.incremental). Nullable, so that
    # SQLite adds the column in place instead of rebuilding the table under the triggers.
    course_digest = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    # Written by the timetable import: the file's names of the teachers it could not match
    # to the directory ("DUPONT Claire, MARTIN Paul"), who are part of the service's key but
    # not of ``teachers``; the change list names them. NULL for services imported before
    # the column existed (nullable for the same reason as above).
    unmatched_teachers = models.CharField(max_length=500, null=True, blank=True, editable=False)  # noqa: DJ001

    class Meta:
        verbose_name = _("service d'enseignement")
        verbose_name_plural = _("services d'enseignement")
        constraints = [
            models.UniqueConstraint(fields=["establishment", "key"], name="service_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.key[:8]})"


class ClosingPeriod(models.Model):
    """A closing period (holidays, closure) of an establishment, ``[start_date, end_date)``."""

    class Source(models.TextChoices):
        TIMETABLE = "TIMETABLE", _("Emploi du temps")
        MANUAL = "MANUAL", _("Saisie manuelle")

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="closing_periods"
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin (exclue)"))
    label = models.CharField(_("libellé"), max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.TIMETABLE)

    class Meta:
        verbose_name = _("période de fermeture")
        verbose_name_plural = _("périodes de fermeture")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="closing_period_not_empty"
            ),
            models.UniqueConstraint(
                fields=["establishment", "start_date", "end_date"], name="closing_period_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or _('Fermeture')} [{self.start_date}, {self.end_date})"


class CancelledCourse(models.Model):
    """A course occurrence the timetable cancels, as the last integrated import said.

    Kept from that import's time onward (an import replaces the rows of its establishments
    from its own time): the "% de cours annulés" control compares a new file's
    cancellations with these.
    """

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="cancelled_courses"
    )
    starts_at = models.DateTimeField(_("début"))

    class Meta:
        verbose_name = _("cours annulé")
        verbose_name_plural = _("cours annulés")
        indexes = [models.Index(fields=["establishment", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.establishment_id}:{self.starts_at:%Y-%m-%d %H:%M}"


class Session(models.Model):
    """A dated session (séance) of a teaching service, ``[starts_at, ends_at)``."""

    class Source(models.IntegerChoices):
        TIMETABLE = 1, _("Emploi du temps")
        MANUAL = 2, _("Saisie manuelle")
        # A generated session an import would have removed or moved, kept for its content
        # (cahier de textes): no longer the timetable's, never touched by later imports.
        OFF_TIMETABLE = 3, _("Hors emploi du temps")

    teaching_service = models.ForeignKey(
        TeachingService, on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    room = models.CharField(_("salle"), max_length=100, blank=True)
    source = models.PositiveSmallIntegerField(choices=Source.choices, default=Source.TIMETABLE)

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_not_empty"
            ),
            models.UniqueConstraint(
                fields=["teaching_service", "starts_at"],
                condition=Q(source=1),
                name="session_timetable_natural_key",
            ),
        ]
        indexes = [models.Index(fields=["starts_at"])]

    def __str__(self) -> str:
        return f"{self.teaching_service_id} {self.starts_at:%Y-%m-%d %H:%M}"


class SessionContent(models.Model):
    """What the cahier de textes hangs on a session: its content and the homework given."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="content")
    content = models.TextField(_("contenu de la séance"), blank=True)
    homework = models.TextField(_("travail à faire"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contenu de séance")
        verbose_name_plural = _("contenus de séances")
        constraints = [
            models.CheckConstraint(
                condition=~Q(content="", homework=""), name="session_content_not_empty"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.content[:40]}"


class CalendarFeed(models.Model):
    """An iCalendar feed of one class, group, teacher or room, behind a secret token.

    The token is the feed's only credential (calendar clients cannot log in): revoking a feed
    stops it for good; regenerating creates a new feed with a new address. Only the token's
    SHA-256 (``token_hash``) and its first characters (``token_prefix``, to tell addresses
    apart on the page) are stored: the full address is shown once, when it is created.
    """

    class Kind(models.TextChoices):
        CLASS = "CLASS", _("Classe")
        GROUP = "GROUP", _("Groupe")
        TEACHER = "TEACHER", _("Enseignant")
        ROOM = "ROOM", _("Salle")

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices)
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        TeachingGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    teacher = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    room = models.CharField(_("salle"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(_("début de l'adresse"), max_length=8)
    created_at = models.DateTimeField(_("créé le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement agenda")
        verbose_name_plural = _("abonnements agenda")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="CLASS", school_class__isnull=False)
                    | Q(kind="GROUP", group__isnull=False)
                    | Q(kind="TEACHER", teacher__isnull=False)
                    | (Q(kind="ROOM") & ~Q(room=""))
                ),
                name="calendar_feed_has_target",
            ),
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106
                name="calendar_feed_token_hash",
            ),
            # One address in force per timetable: the page offers to create one only when there
            # is none, and a form sent twice (double click, browser resubmission) must not leave
            # a second live address nobody has seen.
            models.UniqueConstraint(
                fields=["school_class"],
                condition=Q(kind="CLASS", revoked_at__isnull=True),
                name="calendar_feed_one_active_per_class",
            ),
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(kind="GROUP", revoked_at__isnull=True),
                name="calendar_feed_one_active_per_group",
            ),
            models.UniqueConstraint(
                fields=["establishment", "teacher"],
                condition=Q(kind="TEACHER", revoked_at__isnull=True),
                name="calendar_feed_one_active_per_teacher",
            ),
            models.UniqueConstraint(
                fields=["establishment", "room"],
                condition=Q(kind="ROOM", revoked_at__isnull=True),
                name="calendar_feed_one_active_per_room",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.establishment_id}:{self.kind}"
