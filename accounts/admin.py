from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.forms import ThrottledAdminAuthenticationForm
from accounts.models import Message, Role, User

# /admin/login/ follows the same throttling as the site login.
admin.site.login_form = ThrottledAdminAuthenticationForm


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    autocomplete_fields = ["school_group"]


@admin.register(User)
class EntUserAdmin(UserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "last_name", "first_name", "is_active", "directory_closed_at"]
    list_filter = [*UserAdmin.list_filter, "directory_closed_at"]
    readonly_fields = ["directory_closed_at"]
    fieldsets = [
        *(UserAdmin.fieldsets or ()),
        (_("Annuaire"), {"fields": ["directory_closed_at"]}),
    ]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "school_group"]
    list_filter = ["name", "school_group"]
    search_fields = ["user__username", "user__last_name"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at"]
    search_fields = ["subject", "recipient__username"]
