"""When each response and scored result last changed (FHIR meta.lastUpdated, `_since`).

Existing rows take the time they were written as far as it is known: a result its
screening date, a response when it was answered. Rows a correction already changed
(`safehaven instruments rescore`: results entered in error or amended, and their
responses) keep the time of this migration, so the next incremental export sends the
corrections it has missed until now.
"""

import django.db.models.functions.datetime
from django.db import migrations, models


def backfill(apps, schema_editor):
    ScoredResult = apps.get_model("screening", "ScoredResult")
    ScreeningResponse = apps.get_model("screening", "ScreeningResponse")
    ScoredResult.objects.filter(status="final").update(updated_at=models.F("effective_at"))
    corrected = ScoredResult.objects.filter(response=models.OuterRef("pk")).exclude(status="final")
    ScreeningResponse.objects.exclude(models.Exists(corrected)).update(updated_at=models.F("authored_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0004_corrected_results'),
    ]

    operations = [
        migrations.AddField(
            model_name='scoredresult',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now()),
        ),
        migrations.AddField(
            model_name='screeningresponse',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now()),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
