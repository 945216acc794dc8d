from django.contrib import admin
from django.http import HttpRequest

from ent import models


class EstablishmentInline(admin.TabularInline):
    model = models.Establishment
    extra = 0


@admin.register(models.SchoolGroup)
class SchoolGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [EstablishmentInline]


@admin.register(models.Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "uai", "kind", "school_group"]
    list_filter = ["kind", "school_group"]
    search_fields = ["name", "uai"]


@admin.register(models.SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["school_group", "start_date", "end_date"]
    list_filter = ["school_group"]


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "kind", "birth_date", "ine", "is_active"]
    list_filter = ["kind", "is_active", "establishments"]
    search_fields = ["last_name", "first_name", "search_key", "ine", "aaf_jointure"]
    filter_horizontal = ["establishments"]
    raw_id_fields = ["user"]


class ClassMembershipInline(admin.TabularInline):
    model = models.ClassMembership
    extra = 0
    raw_id_fields = ["person"]


class GroupMembershipInline(admin.TabularInline):
    model = models.GroupMembership
    extra = 0
    raw_id_fields = ["person"]


@admin.register(models.SchoolClass)
class SchoolClassAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "establishment"]
    list_filter = ["establishment"]
    search_fields = ["code", "name"]
    inlines = [ClassMembershipInline]


@admin.register(models.TeachingGroup)
class TeachingGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "source", "establishment"]
    list_filter = ["source", "establishment"]
    search_fields = ["code", "name"]
    filter_horizontal = ["classes"]
    inlines = [GroupMembershipInline]


@admin.register(models.Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "national_code", "establishment"]
    list_filter = ["establishment"]
    search_fields = ["code", "label"]


@admin.register(models.TeachingService)
class TeachingServiceAdmin(admin.ModelAdmin):
    list_display = ["subject", "establishment", "weekly_minutes", "is_active"]
    list_filter = ["establishment", "is_active"]
    raw_id_fields = ["subject", "teachers", "classes", "groups"]


@admin.register(models.ClosingPeriod)
class ClosingPeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "start_date", "end_date", "establishment", "source"]
    list_filter = ["establishment", "source"]


class SessionContentInline(admin.StackedInline):
    model = models.SessionContent
    extra = 0
    max_num = 1


@admin.register(models.Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["teaching_service", "starts_at", "ends_at", "room", "source"]
    list_filter = ["source"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["teaching_service"]
    inlines = [SessionContentInline]


@admin.register(models.SessionContent)
class SessionContentAdmin(admin.ModelAdmin):
    list_display = ["session", "content", "homework", "updated_at"]
    raw_id_fields = ["session"]
    search_fields = ["content", "homework"]


@admin.register(models.CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["establishment", "kind", "token_prefix", "created_at", "revoked_at"]
    list_filter = ["kind", "establishment"]
    raw_id_fields = ["school_class", "group", "teacher"]
    exclude = ["token_hash"]
    readonly_fields = ["token_prefix"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a feed is created from its timetable page, which shows its address once


@admin.register(models.NationalSubject)
class NationalSubjectAdmin(admin.ModelAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]
