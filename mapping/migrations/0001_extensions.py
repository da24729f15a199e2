"""PostGIS and pgRouting before any table.

On the local setup both already exist (scripts/setup_db.sh puts them in template1);
on an external database this needs a role allowed to create them.
"""

from django.contrib.postgres.operations import CreateExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [CreateExtension("postgis"), CreateExtension("pgrouting")]
