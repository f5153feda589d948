from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from safehaven.lib import crypto
from safehaven.lib.fields import encrypted_fields


class Command(BaseCommand):
    help = "Manage field-encryption keys: `keys new` prints a key, `keys rotate` re-encrypts with the first key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, title="subcommands")
        new = sub.add_parser("new", help="print a new key entry to put first in SAFEHAVEN_FIELD_KEYS")
        new.add_argument("key_id", help="a short name for the key, e.g. 2026a")
        sub.add_parser("rotate", help="re-encrypt every sensitive field with the first (primary) key")
        sub.add_parser("status", help="count stored values per key")

    def handle(self, *args, sub, **options):
        if sub == "new":
            if ":" in options["key_id"] or "," in options["key_id"]:
                raise CommandError("the key id cannot contain ':' or ','")
            self.stdout.write(crypto.new_key_spec(options["key_id"]))
            return
        primary, _keys = crypto.keyring()
        total = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            names = [f.name for f in fields]
            counts: dict[str, int] = {}
            qs = model._base_manager.values_list("pk", *[f.attname for f in fields])
            # Read raw stored values, so we see which key each one uses.
            from django.db import connection

            table = model._meta.db_table
            cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            pk = connection.ops.quote_name(model._meta.pk.column)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {cols} FROM {connection.ops.quote_name(table)}")  # noqa: S608
                rows = cursor.fetchall()
            stale = []
            for row in rows:
                for value in row[1:]:
                    kid = crypto.key_id_of(value or "")
                    if kid:
                        counts[kid] = counts.get(kid, 0) + 1
                if any(crypto.key_id_of(v or "") not in (None, primary) for v in row[1:]):
                    stale.append(row[0])
            if sub == "status":
                self.stdout.write(f"{model._meta.label}: {counts or 'no values'}")
                continue
            for start in range(0, len(stale), 500):
                with transaction.atomic():
                    for obj in model._base_manager.filter(pk__in=stale[start : start + 500]):
                        model._base_manager.filter(pk=obj.pk).update(**{n: getattr(obj, n) for n in names})
            total += len(stale)
            del qs
        if sub == "rotate":
            self.stdout.write(f"Re-encrypted {total} rows with key {primary!r}.")
