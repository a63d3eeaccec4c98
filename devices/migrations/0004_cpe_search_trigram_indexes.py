"""Trigram indexes for the device list's search (serial, CPE name, MAC contain ``q``) on PostgreSQL.

The page searches with ``icontains``, which Django renders as
``UPPER(col::text) LIKE UPPER('%q%')``: a B-tree cannot serve a leading
wildcard, a trigram GIN index on the same expression can. At 100,000 CPEs
a search goes from a sequential scan of every CPE (~200 ms, twice per page
with the pager's count) to an index lookup.

PostgreSQL only (pg_trgm); SQLite, the laptop demo's database, keeps
scanning, which is fine at its size. Not declared in the model's Meta for
the same reason: GinIndex would fail on SQLite.
"""

from django.db import migrations

INDEXES = {
    "cpe_sn_trgm": "sn",
    "cpe_cpename_trgm": "cpename",
    "cpe_mac_trgm": "mac",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON devices_cpe USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0003_actions")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
