import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from mapping.bbox import BBOX_FORMAT, BBoxError, parse_bbox
from mapping.importer import Progress, TerminalProgress, import_bbox, import_file
from mapping.osm.overpass import OverpassError
from mapping.osm.pbf import OsmFileError
from mapping.osm.poly import PolyFileError, read_poly_area


class Command(BaseCommand):
    help = (
        "Import surveillance cameras, walkable streets and buildings from OpenStreetMap: "
        "an area from the Overpass API (--bbox) or a .osm.pbf/.osm/Overpass JSON file (--file). "
        "All or nothing; every run is recorded as an ImportRun."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bbox",
            help=f"{BBOX_FORMAT}: the area to fetch from Overpass; with --file, the area the "
            "file covers (cameras there that the file lacks are marked removed).",
        )
        parser.add_argument("--file", help="A .osm.pbf, .osm or saved Overpass JSON file.")
        parser.add_argument(
            "--area-poly",
            metavar="FILE.poly",
            help="with --file: the polygon the extract was cut with (Osmosis .poly, as "
            "Geofabrik publishes beside each region). Only inside it are cameras the file "
            "lacks marked removed, and streets and buildings deleted; without it, the "
            "file's header rectangle counts, neighbours' land included.",
        )
        parser.add_argument("--overpass-url", help="Overrides settings.OVERPASS_URL.")
        parser.add_argument(
            "--tile-degrees", type=float, help="Overrides settings.OVERPASS_TILE_DEGREES."
        )
        parser.add_argument(
            "--defer-derived",
            action="store_true",
            help="With --file: write the data only, leaving fields of view and street exposure "
            "to `manage.py refresh_derived` (a big first import then takes seconds).",
        )
        parser.add_argument(
            "--cameras-only",
            action="store_true",
            help="Read and write the cameras alone (from the file, or asked of Overpass); "
            "the stored walk graph and buildings stay as they are. For a country, whose "
            "streets and buildings would not fit in memory: import walk graphs region by region.",
        )

    def handle(self, *args, bbox=None, file=None, overpass_url=None, tile_degrees=None, **opts):
        if not bbox and not file:
            raise CommandError(f"give --bbox {BBOX_FORMAT} or --file PATH")
        defer_derived = opts.get("defer_derived", False)
        cameras_only = opts.get("cameras_only", False)
        if defer_derived and not file:
            raise CommandError("--defer-derived goes with --file")
        try:
            box = parse_bbox(bbox) if bbox else None
        except BBoxError as error:
            raise CommandError(f"--bbox: {error}") from error
        area_poly = opts.get("area_poly")
        if area_poly:
            if not file or bbox:
                raise CommandError("--area-poly goes with --file, instead of --bbox")
            try:
                box = read_poly_area(area_poly)
            except PolyFileError as error:
                raise CommandError(f"--area-poly: {error}; database unchanged") from error
        progress = TerminalProgress("import") if sys.stderr.isatty() else Progress()
        try:
            if file:
                summary = import_file(
                    file,
                    area=box,
                    progress=progress,
                    defer_derived=defer_derived,
                    cameras_only=cameras_only,
                )
            else:
                summary = import_bbox(
                    box, overpass_url, tile_degrees, progress=progress, cameras_only=cameras_only
                )
        except (OsmFileError, OverpassError, BBoxError, DatabaseError) as error:
            raise CommandError(f"import failed, database unchanged: {error}") from error
        except KeyboardInterrupt:
            raise CommandError("import interrupted, database unchanged") from None
        for line in summary.lines():
            self.stdout.write(line)
