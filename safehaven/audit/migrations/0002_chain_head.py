from django.db import migrations


def create_head(apps, schema_editor):
    from safehaven.audit.chain import GENESIS, head_mac

    AuditHead = apps.get_model("audit", "AuditHead")
    if not AuditHead.objects.filter(pk=1).exists():
        AuditHead.objects.create(pk=1, seq=0, hash=GENESIS, mac=head_mac(0, GENESIS))


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
