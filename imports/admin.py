from django.contrib import admin

from imports.models import ImportRun, ImportStep


class ImportStepInline(admin.TabularInline):
    model = ImportStep
    extra = 0
    readonly_fields = ["position", "name", "outcome", "message", "action", "created_at"]
    fields = readonly_fields


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "school_group", "establishment", "mode", "status", "received_at"]
    list_filter = ["status", "mode", "source_format", "school_group"]
    date_hierarchy = "received_at"
    readonly_fields = ["sha256", "size", "received_at", "started_at", "finished_at"]
    inlines = [ImportStepInline]
