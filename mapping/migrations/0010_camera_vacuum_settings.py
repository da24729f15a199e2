# Autovacuum for the camera table as its readers need it (issue #8). The map's box counts
# and pages are index-only scans of the active position index: they skip the table only on
# pages the visibility map marks all-visible, and any rewritten row (a moderation, a new
# field of view, an import) clears its page's mark until VACUUM runs again. PostgreSQL's
# defaults wait for a fifth of the table to change (500,000 rows at 2.5 million cameras)
# and then skip the indexes when under 2 % of the pages hold dead rows, which leaves those
# pages unmarked; a viewport whose pages were all unmarked read each of its 14,000 rows from
# the table and took 24 ms instead of 8-10. Here autovacuum starts after 1 % of the rows
# changed or were added, and always cleans the indexes, so the marks come back.

from django.db import migrations

TABLE = "mapping_camera"
SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0.01",
    "autovacuum_vacuum_insert_scale_factor": "0.01",
    "autovacuum_analyze_scale_factor": "0.02",
    "vacuum_index_cleanup": "on",
}


class Migration(migrations.Migration):
    dependencies = [
        ("mapping", "0009_density_totals"),
    ]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} SET ("
            + ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
            + ")",
            f"ALTER TABLE {TABLE} RESET ({', '.join(SETTINGS)})",
        ),
    ]
