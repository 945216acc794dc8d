from django.contrib import admin

from imports.models import ImportRun, ImportStep, ManualMatch, ThresholdSetting


class ImportStepInline(admin.TabularInline):
    model = ImportStep
    extra = 0
    readonly_fields = ("position", "name", "outcome", "message", "action", "created_at")
    fields = readonly_fields


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "school_group", "establishment", "mode", "status", "received_at"]
    list_filter = ["status", "mode", "source_format", "school_group"]
    date_hierarchy = "received_at"
    readonly_fields = ["sha256", "size", "received_at", "started_at", "finished_at"]
    inlines = [ImportStepInline]


@admin.register(ManualMatch)
class ManualMatchAdmin(admin.ModelAdmin):
    """Matches chosen by hand, reused by every later import of the school group."""

    list_display = ["source_label", "kind", "school_group", "person", "school_class", "group"]
    list_filter = ["kind", "school_group"]
    search_fields = ["source_label", "source_key"]
    autocomplete_fields = ["person", "school_class", "group"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: object, obj: ManualMatch, form: object, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]


@admin.register(ThresholdSetting)
class ThresholdSettingAdmin(admin.ModelAdmin):
    list_display = ["school_group", "control", "percent", "blocking", "updated_at"]
    list_filter = ["school_group", "blocking"]
