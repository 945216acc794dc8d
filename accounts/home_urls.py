# The home page and a school group's page: names without namespace ("home",
# "school_group_detail"), as the templates have always used them.
from django.urls import path

from accounts import home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("cites/<int:group_id>/", home_views.school_group_detail, name="school_group_detail"),
]
