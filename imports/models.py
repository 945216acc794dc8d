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

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["school_group", "status", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="import_run_sha256_hex"
            )
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


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
    else its accent- and case-insensitive name and birth date, or its code).
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
