"""Import history: one run per deposit or manual import, its steps and its bilan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from imports.parsers.registry import SourceFormat


class ImportRun(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", _("Reçu")
        RUNNING = "RUNNING", _("En cours")
        INTEGRATED = "INTEGRATED", _("Intégré")
        BLOCKED = "BLOCKED", _("Bloqué")
        REJECTED = "REJECTED", _("Rejeté")
        WAITING_INITIALISATION = "WAITING_INITIALISATION", _("En attente d'initialisation")
        SUPERSEDED = "SUPERSEDED", _("Remplacé")
        DUPLICATE = "DUPLICATE", _("Doublon")
        FAILED = "FAILED", _("Échec")
        PREVIEWED = "PREVIEWED", _("Aperçu (non appliqué)")

    class Mode(models.TextChoices):
        AUTOMATIC = "AUTOMATIC", _("Automatique")
        MANUAL = "MANUAL", _("Manuel")

    class Origin(models.TextChoices):
        CONFIRMATION = "CONFIRMATION", _("Confirmation d'un aperçu")
        FORCED = "FORCED", _("Appliqué malgré les seuils")
        ROLLBACK = "ROLLBACK", _("Retour à un emploi du temps antérieur")

    # A PREVIEWED or BLOCKED run produces at most one run (database constraint below).
    ONE_SHOT_ORIGINS = (Origin.CONFIRMATION, Origin.FORCED)

    # Derived from the registered parsers: one line there per source format.
    SourceFormat = SourceFormat

    # A run whose worker died (or met a transient database error) this many times FAILs.
    MAX_ATTEMPTS = 3
    WAITING_STATUSES = (Status.RECEIVED,)
    FINAL_STATUSES = (
        Status.INTEGRATED,
        Status.BLOCKED,
        Status.REJECTED,
        Status.WAITING_INITIALISATION,
        Status.SUPERSEDED,
        Status.DUPLICATE,
        Status.FAILED,
        Status.PREVIEWED,
    )

    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.PROTECT, related_name="import_runs"
    )
    # Null targets every establishment of the school group ("Tous les établissements").
    establishment = models.ForeignKey(
        "ent.Establishment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="import_runs",
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    source_format = models.CharField(
        _("format"), max_length=32, choices=SourceFormat.choices, blank=True, default=""
    )
    file = models.FileField(_("fichier importé"), upload_to="deposits/%Y/%m/", max_length=255)
    original_filename = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    # The timetable the file holds, whatever an export may vary (see
    # imports.services.unchanged), and, for an integrated run, the state of the ENT it left.
    content_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    state_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    deposited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_runs",
    )
    status = models.CharField(
        _("statut"), max_length=32, choices=Status.choices, default=Status.RECEIVED
    )
    current_step = models.CharField(_("étape en cours"), max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    apply_anyway = models.BooleanField(_("appliquer malgré les seuils"), default=False)
    # A manual import run to see what it would do: it stops before writing (PREVIEWED).
    preview_only = models.BooleanField(_("aperçu seulement"), default=False)
    received_at = models.DateTimeField(_("reçu le"), db_index=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    effective_at = models.DateTimeField(_("date de prise en charge"), null=True, blank=True)
    counters = models.JSONField(_("compteurs"), default=dict, blank=True)
    bilan = models.JSONField(_("bilan"), default=dict, blank=True)
    # The run this one comes from: a confirmed preview, a blocked run applied anyway, or the
    # earlier integrated run a rollback goes back to.
    origin = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="produced_runs",
        verbose_name=_("import d'origine"),
    )
    origin_kind = models.CharField(
        _("nature"), max_length=16, choices=Origin.choices, blank=True, default=""
    )
    # Set on every run of a rollback (its preview and its confirmation): the run gone back to.
    rollback_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rollbacks",
        verbose_name=_("retour à l'import"),
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["school_group", "status", "received_at"]),
            # The history: a group's runs newest first, a page at a time (bench_history).
            models.Index(fields=["school_group", "-received_at", "-id"], name="import_run_history"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="import_run_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(origin__isnull=True, origin_kind="")
                | Q(origin__isnull=False) & ~Q(origin_kind=""),
                name="import_run_origin_has_kind",
            ),
            models.UniqueConstraint(
                fields=["origin"],
                condition=Q(origin_kind__in=["CONFIRMATION", "FORCED"]),
                name="import_run_confirmed_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def is_confirmable(self) -> bool:
        """Whether the run still waits for "Confirmer" / "Appliquer quand même"."""
        return self.status in (self.Status.PREVIEWED, self.Status.BLOCKED)


# After a teacher's name in the change list when the file's teacher has no directory match.
UNMATCHED_MARK = " (non rapproché)"


class SessionChange(models.Model):
    """One session an import adds, removes or changes: the change list of a run.

    Stored when the run computes its diff: for an INTEGRATED run it is what was done; for a
    PREVIEWED or BLOCKED one, what applying would have done at that moment. Labels are copied
    (subject, teachers, classes/groups) so the list stays readable whatever happens later.
    """

    class Kind(models.IntegerChoices):
        ADDED = 1, _("Ajoutée")
        REMOVED = 2, _("Supprimée")
        CHANGED = 3, _("Modifiée")
        KEPT = 4, _("Conservée hors emploi du temps")

    # No index of its own: the (run, starts_at) index below serves every lookup by run, and a
    # first import writes tens of thousands of rows, each one index insert cheaper.
    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="session_changes", db_index=False
    )
    kind = models.PositiveSmallIntegerField(_("changement"), choices=Kind.choices)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    subject = models.CharField(_("matière"), max_length=200, blank=True)
    teachers = models.CharField(_("enseignants"), max_length=500, blank=True)
    audience = models.CharField(_("classes et groupes"), max_length=500, blank=True)
    room = models.CharField(_("salle"), max_length=100, blank=True)
    # For a change: what the session was before (the fields above are what it becomes).
    old_starts_at = models.DateTimeField(null=True, blank=True)
    old_ends_at = models.DateTimeField(null=True, blank=True)
    old_teachers = models.CharField(max_length=500, blank=True)
    old_room = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("changement de séance")
        verbose_name_plural = _("changements de séances")
        indexes = [models.Index(fields=["run", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_change_not_empty"
            ),
            models.CheckConstraint(
                condition=~Q(kind=3) | Q(old_starts_at__isnull=False, old_ends_at__isnull=False),
                name="session_change_old_values",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def teachers_list(self) -> list[str]:
        return [name for name in self.teachers.split(", ") if name]

    @property
    def teacher_entries(self) -> list[tuple[str, bool]]:
        """Return each teacher's name and whether the directory has them (a page to open)."""
        return [(name, not name.endswith(UNMATCHED_MARK)) for name in self.teachers_list]

    @property
    def audience_list(self) -> list[str]:
        return [code for code in self.audience.split(", ") if code]


class RunMatching(models.Model):
    """What matching found for a run's file, kept for the next export of the same people.

    ``inputs_digest`` digests what matching read from the file (its people, classes, groups
    and class parts, :func:`imports.services.incremental.matching_inputs_digest`);
    ``results`` holds the match results (:func:`imports.services.incremental.matching_dump`).
    A later run whose file has the same inputs, against the same directory (the state
    digest), reuses them instead of matching again. Only the target's latest integrated run
    keeps its row: storing a run's results deletes those of the target's earlier runs.
    """

    run = models.OneToOneField(
        ImportRun, on_delete=models.CASCADE, primary_key=True, related_name="matching"
    )
    inputs_digest = models.CharField(max_length=64)
    results = models.JSONField()

    class Meta:
        verbose_name = _("rapprochement d'un import")
        verbose_name_plural = _("rapprochements d'imports")

    def __str__(self) -> str:
        return f"{self.run_id}:{self.inputs_digest[:12]}"


class ImportStep(models.Model):
    """One step of a run: its outcome, message and the action the user should take."""

    class Outcome(models.TextChoices):
        OK = "OK", _("Réussi")
        WARNING = "WARNING", _("Avertissement")
        INTERRUPTED = "INTERRUPTED", _("Interrompu")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    message = models.TextField(blank=True)
    action = models.TextField(_("action à mener"), blank=True)
    details = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("étape d'import")
        verbose_name_plural = _("étapes d'import")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="import_step_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.name}"


class ThresholdSetting(models.Model):
    """A school group's setting for one threshold control (defaults apply when absent)."""

    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.CASCADE, related_name="threshold_settings"
    )
    control = models.CharField(_("contrôle"), max_length=32)
    percent = models.PositiveSmallIntegerField(_("seuil (%)"), null=True, blank=True)
    blocking = models.BooleanField(_("bloquant"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seuil")
        verbose_name_plural = _("seuils")
        constraints = [
            models.UniqueConstraint(
                fields=["school_group", "control"], name="threshold_unique_control"
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100),
                name="threshold_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_group_id}:{self.control}"


class ManualMatch(models.Model):
    """A match chosen by hand, reused by later imports of the school group, across years.

    ``source_key`` identifies the timetable's entity stably (PRONOTE/STS ids when present,
    else its accent- and case-insensitive name and birth date, or its code); ``name_key``
    lets a file of another format, whose ids differ, use the match too
    (:func:`imports.matching.manual_match_by_name`).
    """

    class Kind(models.TextChoices):
        TEACHER = "TEACHER", _("Enseignant")
        STUDENT = "STUDENT", _("Élève")
        CLASS = "CLASS", _("Classe")
        GROUP = "GROUP", _("Groupe")

    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.CASCADE, related_name="manual_matches"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_key = models.CharField(max_length=255)
    # What every source format shares: the accent- and case-insensitive name (people) or
    # code (classes, groups). A match made on one format's file serves the others' files.
    name_key = models.CharField(max_length=320, blank=True, db_index=True)
    # The entity's birth date in the file it was matched from: a homonym born another day
    # in another format's file is not this person.
    birth_date = models.DateField(null=True, blank=True)
    source_label = models.CharField(max_length=255, blank=True)
    person = models.ForeignKey(
        "ent.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    school_class = models.ForeignKey(
        "ent.SchoolClass", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "ent.TeachingGroup", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rapprochement manuel")
        verbose_name_plural = _("rapprochements manuels")
        constraints = [
            models.UniqueConstraint(
                fields=["school_group", "kind", "source_key"], name="manual_match_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["TEACHER", "STUDENT"], person__isnull=False)
                    | Q(kind="CLASS", school_class__isnull=False)
                    | Q(kind="GROUP", group__isnull=False)
                ),
                name="manual_match_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.source_key}"


class ThresholdRelaxation(models.Model):
    """A threshold relaxed for a while (a school trip, work placements), then back by itself.

    Over ``[starts_at, ends_at)`` the control uses ``percent`` and ``blocking`` instead of the
    school group's setting; afterwards nothing needs undoing. Ended early by moving
    ``ends_at`` to the moment it was stopped, so the history of what applied stays true.
    """

    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.CASCADE, related_name="threshold_relaxations"
    )
    control = models.CharField(_("contrôle"), max_length=32)
    percent = models.PositiveSmallIntegerField(_("seuil (%)"))
    blocking = models.BooleanField(_("bloquant"))
    starts_at = models.DateTimeField(_("à partir du"))
    ends_at = models.DateTimeField(_("jusqu'au (exclu)"))
    reason = models.CharField(_("motif"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assouplissement temporaire de seuil")
        verbose_name_plural = _("assouplissements temporaires de seuils")
        indexes = [models.Index(fields=["school_group", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="relaxation_not_empty"
            ),
            models.CheckConstraint(condition=Q(percent__lte=100), name="relaxation_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.school_group_id}:{self.control} [{self.starts_at}, {self.ends_at})"


class ThresholdSettingsChange(models.Model):
    """Who changed a school group's thresholds, when, and what (shown on the settings page).

    Unticking "Bloquant" on the coherence check and restoring the defaults are confirmed by
    the user first; both are flagged here so the page can say who did it and when.
    """

    school_group = models.ForeignKey(
        "ent.SchoolGroup", on_delete=models.CASCADE, related_name="threshold_changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    changed_at = models.DateTimeField(_("modifié le"))
    defaults_restored = models.BooleanField(_("valeurs par défaut rétablies"), default=False)
    coherence_unblocked = models.BooleanField(_("cohérence rendue non bloquante"), default=False)
    # French lines, one per changed control ("% de matières créées : 50 % → 60 %").
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("modification des seuils")
        verbose_name_plural = _("modifications des seuils")
        indexes = [models.Index(fields=["school_group", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.school_group_id}@{self.changed_at:%Y-%m-%d %H:%M}"
