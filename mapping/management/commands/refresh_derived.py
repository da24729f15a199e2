import time

from django.core.management.base import BaseCommand

from mapping.analysis import refresh_derived_data


class Command(BaseCommand):
    help = (
        "Recompute every camera's field of view and every street segment's exposure, in one "
        "transaction: the step `import_osm --file ... --defer-derived` leaves for later."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        refresh_derived_data(None)
        self.stdout.write(
            f"Fields of view and street exposure recomputed in "
            f"{time.perf_counter() - started:.2f} s."
        )
