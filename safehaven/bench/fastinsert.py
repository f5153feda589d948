# ruff: noqa: S608 -- table and column names come from model metadata; every value is a parameter.
"""Insert many model instances with one `executemany`, for synthetic data at scale.

`bulk_create` compiles an INSERT for every batch and prepares each value through the
query compiler; at a million rows that costs more than the database does. Here the
values are prepared once per field (`get_db_prep_save`, so encrypted fields are encrypted
and UUIDs formatted exactly as the ORM would), row ids are assigned from the current
maximum (the caller holds the transaction), and PostgreSQL's sequence is moved past them.
Like `bulk_create`, no signals are sent and `save()` is not called.
"""

from django.db import DEFAULT_DB_ALIAS, connections


def insert(model, objs: list, batch: int = 5000) -> list:
    """Insert the instances, set their primary keys, and return them."""
    if not objs:
        return objs
    connection = connections[DEFAULT_DB_ALIAS]  # resolved once: the proxy costs a lookup per use
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *fields])
    marks = ", ".join(["%s"] * (len(fields) + 1))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    steps = [(f.get_db_prep_save, f.pre_save) for f in fields]
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(pk.column)}), 0) FROM {table}")
        next_id = cur.fetchone()[0] + 1
        rows = []
        for obj in objs:
            obj.pk = next_id
            next_id += 1
            # Foreign keys given as instances: take their ids now (as bulk_create does).
            obj._prepare_related_fields_for_save(operation_name="insert")
            rows.append([obj.pk, *[prep(pre(obj, True), connection) for prep, pre in steps]])
            obj._state.adding = False
            obj._state.db = connection.alias
            if len(rows) >= batch:
                cur.executemany(sql, rows)
                rows = []
        if rows:
            cur.executemany(sql, rows)
        if connection.vendor == "postgresql":
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), {next_id - 1})", [meta.db_table, pk.column]
            )
    return objs
