from django.db import migrations


def install(apps, schema_editor):
    from safehaven.careplans.domains import install_default_domains

    install_default_domains(apps.get_model("careplans", "NeedDomain"))


class Migration(migrations.Migration):
    dependencies = [("careplans", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
