"""An index for the paused response of a session to an instrument (SQLite and PostgreSQL)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("screening", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="screeningresponse",
            index=models.Index(fields=["session", "instrument", "status"], name="screen_resp_session"),
        ),
    ]
