from django.contrib import admin

from deposits.models import DepositorAccount


@admin.register(DepositorAccount)
class DepositorAccountAdmin(admin.ModelAdmin):
    list_display = ["login", "user", "school_group", "slot", "notify", "created_at"]
    list_filter = ["school_group"]
    search_fields = ["login", "user__username", "user__last_name"]
    readonly_fields = ["password", "credentials_version"]
