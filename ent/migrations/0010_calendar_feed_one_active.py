"""At most one calendar feed in force per timetable (class, group, teacher or room).

A creation form sent twice used to leave two live addresses for one timetable, only the last
of them shown. Before the constraints go in, the older of such duplicates are revoked: the
newest is the address the page revealed, so the one subscribed calendars are likely to use.
Going back only drops the constraints; revoked feeds stay revoked.
"""

from django.db import migrations, models
from django.utils import timezone


def revoke_older_duplicates(apps, schema_editor):
    CalendarFeed = apps.get_model("ent", "CalendarFeed")
    now = timezone.now()
    newest: set[tuple] = set()
    stale = []
    active = CalendarFeed.objects.filter(revoked_at__isnull=True).order_by("-created_at", "-pk")
    for feed in active.iterator(chunk_size=1000):
        target = (
            feed.establishment_id,
            feed.kind,
            feed.school_class_id,
            feed.group_id,
            feed.teacher_id,
            feed.room,
        )
        if target in newest:
            stale.append(feed.pk)
        else:
            newest.add(target)
    CalendarFeed.objects.filter(pk__in=stale).update(revoked_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("ent", "0009_groupmembership_person_index"),
    ]

    operations = [
        migrations.RunPython(revoke_older_duplicates, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "CLASS"), ("revoked_at__isnull", True)),
                fields=("school_class",),
                name="calendar_feed_one_active_per_class",
            ),
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "GROUP"), ("revoked_at__isnull", True)),
                fields=("group",),
                name="calendar_feed_one_active_per_group",
            ),
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "TEACHER"), ("revoked_at__isnull", True)),
                fields=("establishment", "teacher"),
                name="calendar_feed_one_active_per_teacher",
            ),
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "ROOM"), ("revoked_at__isnull", True)),
                fields=("establishment", "room"),
                name="calendar_feed_one_active_per_room",
            ),
        ),
    ]
