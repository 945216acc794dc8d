"""Calendar feed tokens: keep only their SHA-256 (and four characters to tell them apart).

Existing feeds get the hash of the token they had, so the addresses calendars subscribed to
keep answering; the clear tokens are then dropped. Going back cannot bring the tokens back:
the reverse gives each feed a new random token and revokes it (its old address is lost).
"""

import hashlib
import secrets

from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def hash_tokens(apps, schema_editor):
    CalendarFeed = apps.get_model("ent", "CalendarFeed")
    feeds = []
    for feed in CalendarFeed.objects.only("pk", "token").iterator(chunk_size=BATCH):
        feed.token_hash = hashlib.sha256(feed.token.encode()).hexdigest()
        feed.token_prefix = feed.token[:4]
        feeds.append(feed)
        if len(feeds) == BATCH:
            CalendarFeed.objects.bulk_update(feeds, ["token_hash", "token_prefix"])
            feeds = []
    CalendarFeed.objects.bulk_update(feeds, ["token_hash", "token_prefix"])


def revoke_unreachable_feeds(apps, schema_editor):
    CalendarFeed = apps.get_model("ent", "CalendarFeed")
    now = timezone.now()
    for feed in CalendarFeed.objects.filter(token__isnull=True).iterator(chunk_size=BATCH):
        feed.token = secrets.token_urlsafe(32)
        feed.revoked_at = feed.revoked_at or now
        feed.save(update_fields=["token", "revoked_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("ent", "0007_teachingservice_course_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="token_prefix",
            field=models.CharField(default="", max_length=8, verbose_name="début de l'adresse"),
            preserve_default=False,
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(model_name="calendarfeed", name="calendar_feed_token"),
        migrations.AlterField(
            model_name="calendarfeed",
            name="token",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(migrations.RunPython.noop, revoke_unreachable_feeds, elidable=False),
        migrations.RemoveField(model_name="calendarfeed", name="token"),
        migrations.AlterField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.CheckConstraint(
                condition=models.Q(token_hash__regex="^[0-9a-f]{64}$"),
                name="calendar_feed_token_hash",
            ),
        ),
    ]
