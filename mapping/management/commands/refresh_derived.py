import time

from django.core.management.base import BaseCommand

from mapping.analysis import refresh_derived_data
from mapping.bulk_load import vacuum_analyze
from mapping.models import Camera


class Command(BaseCommand):
    help = (
        "Recompute every camera's field of view and every street segment's exposure, in one "
        "transaction: the step `import_osm --file ... --defer-derived` leaves for later."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        refresh_derived_data(None)
        # Every camera row was rewritten: mark the pages all-visible again for the
        # index-only box counts, now rather than when autovacuum comes by.
        vacuum_analyze(Camera._meta.db_table)
        self.stdout.write(
            f"Fields of view and street exposure recomputed in "
            f"{time.perf_counter() - started:.2f} s."
        )
