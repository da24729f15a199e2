import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapping.bulk_load import vacuum_analyze
from mapping.models import Camera
from mapping.storage_order import cluster_cameras
from mapping.synthetic import (
    DEFAULT_SEED,
    SyntheticSpec,
    clear_synthetic,
    generate_into_database,
    write_synthetic_pbf,
)


class Command(BaseCommand):
    help = (
        "Generate a realistic synthetic data set (cameras across France and Europe, a "
        "city walk graph) into the database with COPY, and optionally as an .osm.pbf. "
        "Replaces earlier synthetic rows; --clear only removes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cameras", type=int, default=2_500_000)
        parser.add_argument("--segments", type=int, default=500_000)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--pbf", type=Path, help="also write the cameras to this .osm.pbf")
        parser.add_argument(
            "--pbf-with-graph", action="store_true", help="put the walk graph in the .pbf too"
        )
        parser.add_argument(
            "--no-load", action="store_true", help="only write the .pbf, leave the database"
        )
        parser.add_argument(
            "--clear", action="store_true", help="remove every synthetic row and stop"
        )
        parser.add_argument(
            "--no-cluster",
            action="store_true",
            help="leave the cameras in generation order (see cluster_cameras)",
        )

    def handle(self, *args, **options):
        if options["clear"]:
            counts = clear_synthetic()
            self.stdout.write(
                f"Removed {counts['cameras']} cameras, {counts['segments']} segments."
            )
            return
        if options["cameras"] < 0 or options["segments"] < 0:
            raise CommandError("--cameras and --segments must be zero or more")
        if options["no_load"] and not options["pbf"]:
            raise CommandError("--no-load needs --pbf PATH")
        spec = SyntheticSpec(options["cameras"], options["segments"], options["seed"])
        if not options["no_load"]:
            started = time.perf_counter()
            counts = generate_into_database(spec, self._progress)
            if not options["no_cluster"]:
                cluster_cameras()  # ends with VACUUM ANALYZE
            else:  # the load ran ANALYZE in its transaction; VACUUM must run outside one
                vacuum_analyze(Camera._meta.db_table)
            seconds = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {counts['cameras']:,} cameras and {counts['segments']:,} segments "
                    f"in {seconds:.1f} s ({counts['cameras'] / max(seconds, 1e-9):,.0f} cameras/s"
                    f"{'' if options['no_cluster'] else ', stored in geohash order'})."
                )
            )
        if options["pbf"]:
            started = time.perf_counter()
            counts = write_synthetic_pbf(spec, options["pbf"], options["pbf_with_graph"])
            self.stdout.write(
                f"Wrote {options['pbf']}: {counts['cameras']:,} cameras, {counts['ways']:,} ways "
                f"in {time.perf_counter() - started:.1f} s."
            )

    def _progress(self, what: str, done: int) -> None:
        if self.stdout.isatty():
            self.stdout.write(f"\r  {what}: {done:,}", ending="")
            self.stdout.flush()
