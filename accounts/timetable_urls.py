# The timetable week pages and calendar feeds: names without namespace ("timetable_week",
# "calendar_feed", ...), as the templates use them.
from django.urls import path

from accounts import timetable_views

urlpatterns = [
    path(
        "cites/<int:group_id>/emplois-du-temps/",
        timetable_views.timetable_find,
        name="timetable_search",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/",
        timetable_views.timetable_index,
        name="timetable_index",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/salle/",
        timetable_views.timetable_room_view,
        name="timetable_room",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/abonnements/",
        timetable_views.calendar_feed_add,
        name="calendar_feed_add",
    ),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/abonnements/"
        "<int:feed_id>/<str:action>/",
        timetable_views.calendar_feed_change,
        name="calendar_feed_change",
    ),
    path("agenda/<str:token>.ics", timetable_views.calendar_feed, name="calendar_feed"),
    path(
        "cites/<int:group_id>/emplois-du-temps/<int:establishment_id>/<str:kind>/<int:key>/",
        timetable_views.timetable_week_view,
        name="timetable_week",
    ),
]
