from django.db import migrations


def create_roles(apps, schema_editor):
    from safehaven.accounts.permissions import ROLE_DEFAULTS

    Role = apps.get_model("accounts", "Role")
    for code, (name, perms) in ROLE_DEFAULTS.items():
        Role.objects.update_or_create(code=code, defaults={"name": name, "permissions": [str(p) for p in perms]})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
