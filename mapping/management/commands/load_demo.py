from django.core.management.base import BaseCommand, CommandError

from mapping.importer import import_file
from mapping.osm.pbf import OsmFileError

DEFAULT_DEMO_FILE = "fixtures/helsinki.osm.pbf"


class Command(BaseCommand):
    help = (
        "Load the demo OpenStreetMap extract (central Helsinki). Idempotent: a second run "
        "changes nothing. Data © OpenStreetMap contributors, ODbL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=DEFAULT_DEMO_FILE)

    def handle(self, *args, file: str, **options):
        try:
            summary = import_file(file)
        except OsmFileError as error:
            raise CommandError(f"demo data not loaded: {error}") from error
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write("Map data © OpenStreetMap contributors, ODbL 1.0.")
