from django.contrib import admin
from django.urls import include, path

from ent import views, views_timetable

urlpatterns = [
    path("", views.home, name="home"),
    path("cites/<int:group_id>/", views.school_group_detail, name="school_group_detail"),
    path("cites/<int:group_id>/imports/", include("imports.urls")),
    path(
        "cites/<int:group_id>/emplois-du-temps/",
        views_timetable.timetable_find,
        name="timetable_search",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/",
        views_timetable.timetable_index,
        name="timetable_index",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/salle/",
        views_timetable.timetable_room_view,
        name="timetable_room",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/abonnements/",
        views_timetable.calendar_feed_add,
        name="calendar_feed_add",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/abonnements/"
        "<int:feed_id>/<str:action>/",
        views_timetable.calendar_feed_change,
        name="calendar_feed_change",
    ),
    path("agenda/<str:token>.ics", views_timetable.calendar_feed, name="calendar_feed"),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/<str:kind>/<int:key>/",
        views_timetable.timetable_week_view,
        name="timetable_week",
    ),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
