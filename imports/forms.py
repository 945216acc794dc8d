"""Forms of the import pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ent.models import Establishment
from imports.parsers.registry import accepted_files_text
from imports.selectors import MatchEntry
from imports.thresholds import CONTROLS, Control, ControlSpec, Setting


class ThresholdSettingsForm(forms.Form):
    """One percentage and one "Bloquant" box per control (the coherence check has no %)."""

    def __init__(self, *args: object, current: Mapping[Control, Setting], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for spec in CONTROLS:
            setting = current[spec.control]
            if spec.default_percent is not None:
                self.fields[self.percent_name(spec)] = forms.IntegerField(
                    label=spec.label,
                    min_value=0,
                    max_value=100,
                    initial=setting.percent,
                    error_messages={
                        "required": _("Indiquez un pourcentage entre 0 et 100."),
                        "invalid": _("Indiquez un nombre entier entre 0 et 100."),
                        "min_value": _("Le seuil ne peut pas être négatif."),
                        "max_value": _("Le seuil ne peut pas dépasser %(limit_value)s %%."),
                    },
                    widget=forms.NumberInput(attrs={"class": "percent", "step": 1}),
                )
            self.fields[self.blocking_name(spec)] = forms.BooleanField(
                label=_("Bloquant"), required=False, initial=setting.blocking
            )

    @staticmethod
    def percent_name(spec: ControlSpec) -> str:
        return f"{spec.control.value.lower()}_percent"

    @staticmethod
    def blocking_name(spec: ControlSpec) -> str:
        return f"{spec.control.value.lower()}_blocking"

    def rows(self) -> list[dict[str, object]]:
        """Return one row per control for the template: label, fields and the default."""
        return [
            {
                "spec": spec,
                "percent": self[self.percent_name(spec)]
                if spec.default_percent is not None
                else None,
                "blocking": self[self.blocking_name(spec)],
            }
            for spec in CONTROLS
        ]

    def settings(self) -> dict[Control, Setting]:
        """Return the submitted settings (call after ``is_valid``)."""
        data = self.cleaned_data
        return {
            spec.control: Setting(
                data.get(self.percent_name(spec)) if spec.default_percent is not None else None,
                bool(data[self.blocking_name(spec)]),
            )
            for spec in CONTROLS
        }


class ManualImportForm(forms.Form):
    """Upload a timetable file for a manual import (the yearly initialisation)."""

    file = forms.FileField(
        label=_("Fichier d'emploi du temps"),
        error_messages={"required": _("Choisissez le fichier exporté par votre logiciel.")},
    )
    target = forms.ChoiceField(label=_("Établissement concerné"), required=False)
    preview_only = forms.BooleanField(
        label=_("Voir d'abord un aperçu : rien n'est appliqué avant votre confirmation"),
        required=False,
        initial=True,
        help_text=_(
            "L'aperçu montre les seuils, les changements par classe et par enseignant et les "
            "éléments non rapprochés ; vous confirmez ensuite d'un clic."
        ),
    )
    apply_anyway = forms.BooleanField(
        label=_("Confirmer l'import même si des seuils bloquants sont dépassés"),
        required=False,
        help_text=_(
            "À cocher pour faire passer un changement important voulu (rentrée, "
            "réorganisation). Les seuils restent calculés et figurent dans le bilan."
        ),
    )

    def __init__(self, *args: object, establishments: list[Establishment], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].help_text = _("Export %(files)s, tel que produit par le logiciel.") % {
            "files": accepted_files_text()
        }
        self._establishments = {str(e.pk): e for e in establishments}
        cast(forms.ChoiceField, self.fields["target"]).choices = [
            ("", _("Tous les établissements"))
        ] + [(str(e.pk), f"{e.name} ({e.uai})") for e in establishments]

    def establishment(self) -> Establishment | None:
        """Return the chosen establishment, or None for the whole school group."""
        return self._establishments.get(self.cleaned_data.get("target") or "")


class ThresholdRelaxationForm(forms.Form):
    """Relax one control for a while: from a day (or now) to a day included."""

    control = forms.ChoiceField(
        label=_("Contrôle"),
        choices=[(s.control.value, s.label) for s in CONTROLS if s.default_percent is not None],
    )
    percent = forms.IntegerField(
        label=_("Seuil pendant l'assouplissement (%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"class": "percent", "step": 1}),
    )
    blocking = forms.BooleanField(label=_("Bloquant pendant l'assouplissement"), required=False)
    starts_on = forms.DateField(
        label=_("À partir du"),
        required=False,
        help_text=_("Laissez vide pour commencer tout de suite."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("Jusqu'au (inclus)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Motif"),
        max_length=200,
        help_text=_("Par exemple : voyage scolaire des 4e, stages des 3e."),
    )

    def window(self, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """Return ``[starts_at, ends_at)`` in local time: whole days, the last one included."""
        tz = timezone.get_current_timezone()
        starts_on = self.cleaned_data.get("starts_on")
        starts_at = dt.datetime.combine(starts_on, dt.time.min, tzinfo=tz) if starts_on else now
        until = self.cleaned_data["until"] + dt.timedelta(days=1)
        return starts_at, dt.datetime.combine(until, dt.time.min, tzinfo=tz)


class ManualMatchForm(forms.Form):
    """Tie one unmatched entity of a run (by its place in the bilan) to a directory entry."""

    entry = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    target = forms.IntegerField(
        label=_("Entrée de l'annuaire"),
        error_messages={
            "required": _("Choisissez une entrée de l'annuaire."),
            "invalid": _("Choisissez une entrée de l'annuaire dans la liste proposée."),
        },
    )

    def __init__(self, *args: object, entries: list[MatchEntry], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._entries = entries

    def clean_entry(self) -> MatchEntry:
        index = self.cleaned_data["entry"]
        if index >= len(self._entries):
            raise forms.ValidationError(
                _("Cet élément ne figure pas dans le bilan de l'import : rechargez la page.")
            )
        return self._entries[index]


class MatchSearchForm(forms.Form):
    """Search the directory by name for one unmatched person of a run (GET)."""

    entree = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    q = forms.CharField(label=_("Nom ou prénom"), max_length=100)

    def __init__(self, *args: object, entries: list[MatchEntry], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._entries = entries

    def entry(self) -> MatchEntry | None:
        """Return the person the search is for, when the search is valid."""
        if not self.is_valid():
            return None
        index = self.cleaned_data["entree"]
        if index >= len(self._entries) or not self._entries[index].is_person:
            return None
        return self._entries[index]
