# Statistics on the packed dimensions of the density cells (mapping/density/dimensions.py):
# the density query filters on expressions such as ((dims >> 1) & 1) (status). Without
# statistics PostgreSQL guesses that such a test keeps 0.5 % of the rows, plans a few
# rows, and sorts to group them; with them it expects the tens of thousands a city view
# at zoom 13 reads and groups them in a hash, about 40 % faster (issue #8). The
# expressions are those dimensions.dims_conditions writes (written out here so that the
# migration does not depend on today's code); a test checks that they stay the same.

from django.db import migrations

STATISTICS = "densitycell_dims"
EXPRESSIONS = (
    "((dims >> 0) & 1)",  # source
    "((dims >> 1) & 1)",  # status
    "((dims >> 2) & 3)",  # surveillance
    "((dims >> 4) & 7)",  # surveillance_type
    "((dims >> 7) & 3)",  # camera_type
)


class Migration(migrations.Migration):
    dependencies = [
        ("mapping", "0005_active_location_index"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE STATISTICS {STATISTICS} ON {', '.join(f'({e})' for e in EXPRESSIONS)} "
            "FROM mapping_densitycell; ANALYZE mapping_densitycell",
            f"DROP STATISTICS IF EXISTS {STATISTICS}",
        ),
    ]
