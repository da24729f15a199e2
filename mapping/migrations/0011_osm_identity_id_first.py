"""The unique OSM identity index with the id first, then the type.

Same rows refused, same lookups served; built in a third of the time after a bulk load,
because two ids decide almost every comparison where the type (text, compared through
the collation) decided none. Rebuilding it locks the camera table for a few seconds on
a country's cameras (docs/deployment.md).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mapping", "0010_camera_vacuum_settings"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="camera",
            name="camera_unique_osm_identity",
        ),
        migrations.AddConstraint(
            model_name="camera",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source", "osm")),
                fields=("osm_id", "osm_type"),
                name="camera_unique_osm_identity",
            ),
        ),
    ]
