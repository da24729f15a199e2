"""Benchmarks over the synthetic millions: city viewport, country density, 3 km walks,
the full export with the worker's peak memory, and the load test.

The synthetic set lives in its own database and is kept between runs (generating
2.5 million cameras takes minutes); it is regenerated when the sizes differ.
"""

from __future__ import annotations

import json
import random
import time

from django.conf import settings

from mapping.bench import baselines
from mapping.bench.common import (
    BenchConfig,
    EndpointError,
    bbox_param,
    endpoint_missing,
    get_json,
    get_ok,
    http_floor,
    in_process_median_ms,
    time_gets,
)
from mapping.bench.databases import (
    RESULT_MARKER,
    connect,
    create_database,
    database_name,
    migrate,
    run_django,
    run_manage,
)
from mapping.bench.helsinki import guarded, route_pairs, route_path, time_routes
from mapping.bench.load import LoadResult, run_capacity, run_load, shuffled_mix
from mapping.bench.regional import run_regional_import
from mapping.bench.report import Measurement
from mapping.bench.server import Gunicorn, HttpClient, memory_kb
from mapping.bench.stats import time_interleaved
from mapping.bench.viewers import ReaderSettings, reader_views, screen_box
from mapping.synthetic import SyntheticSpec
from mapping.synthetic.cities import metres_to_degrees

NAMES = (
    "city_bbox", "country_density", "graph_route", "export", "load", "load_readers",
    "regional_import",
)  # fmt: skip
# City viewports at about zoom 16 on a laptop screen (0.04 x 0.02 degrees).
VIEWPORT_CENTRES = (
    (2.3522, 48.8566), (2.3300, 48.8650), (2.3700, 48.8450), (2.3000, 48.8800),
    (4.8357, 45.7640), (5.3698, 43.2965), (-0.1276, 51.5072), (13.4050, 52.5200),
)  # fmt: skip
VIEWPORT_DEG = (0.04, 0.02)
FRANCE = (-5.2, 41.3, 9.6, 51.1)
COUNTRY_ZOOM = 6
EXPORT_PATH = "/api/export/cameras.geojson"
CENTRE_SIDE_M = 6000.0
CAPACITY_SECONDS = 20.0

COUNT_CODE = f"""
import json
from mapping.synthetic import count_synthetic
print({RESULT_MARKER!r} + json.dumps(count_synthetic()))
"""

DERIVED_CODE = """
import json, time
from django.contrib.gis.geos import Polygon
from mapping.analysis import refresh_derived_data
from mapping.models import Camera
ids = list(Camera.objects.filter(location__bboverlaps=Polygon.from_bbox(%r))
           .values_list("id", flat=True))
started = time.perf_counter()
refresh_derived_data(ids)
seconds = time.perf_counter() - started
# What `refresh_derived` does after it: the rewritten rows' pages all-visible again.
from mapping.bulk_load import vacuum_analyze
vacuum_analyze("mapping_camera")
print(%r + json.dumps({"seconds": seconds, "cameras": len(ids)}))
"""


def scale_db(config: BenchConfig) -> str:
    """The synthetic set's database; a --quick run keeps its small set apart from the big one."""
    return database_name("quick") if config.quick else database_name()


def centre_box(config: BenchConfig) -> tuple[float, float, float, float]:
    """The central square of the synthetic city (clipped to the graph).

    Fields of view are computed at a few hundred cameras a second, so the derived data
    cover this square only, and the route benchmarks walk inside it.
    """
    spec = SyntheticSpec(config.cameras, config.segments, config.seed)
    lon, lat = spec.graph_centre
    dlon, dlat = metres_to_degrees(CENTRE_SIDE_M / 2, CENTRE_SIDE_M / 2, lat)
    min_lon, min_lat, max_lon, max_lat = spec.graph().bounds()
    return (max(min_lon, lon - float(dlon)), max(min_lat, lat - float(dlat)),
            min(max_lon, lon + float(dlon)), min(max_lat, lat + float(dlat)))  # fmt: skip


def viewport(centre: tuple[float, float]) -> tuple[float, float, float, float]:
    (lon, lat), (w, h) = centre, VIEWPORT_DEG
    return (lon - w / 2, lat - h / 2, lon + w / 2, lat + h / 2)


def ensure_data(config: BenchConfig, regenerate: bool) -> list[str]:
    """The synthetic set in its database at the configured size; returns notes."""
    create_database(scale_db(config))
    migrate(scale_db(config))
    wanted = {"cameras": config.cameras, "segments": config.segments}
    record = config.work_dir / f"{scale_db(config)}-generation.json"
    if not regenerate and run_django(scale_db(config), COUNT_CODE) == wanted:
        earlier = json.loads(record.read_text()) if record.exists() else []
        return [
            f"Synthetic set reused from an earlier run ({config.cameras:,} cameras); "
            "that run's figures follow (--regenerate measures them again).",
            *earlier,
        ]
    started = time.perf_counter()
    run_manage(scale_db(config), "generate_synthetic", "--cameras", str(config.cameras),
               "--segments", str(config.segments), "--seed", str(config.seed))  # fmt: skip
    seconds = time.perf_counter() - started
    notes = [
        f"generate_synthetic loaded {config.cameras:,} cameras and {config.segments:,} "
        f"segments in {seconds:.0f} s ({config.cameras / seconds:,.0f} cameras/s, COPY, "
        "index rebuild and ANALYZE included)."
    ]
    try:
        derived = run_django(scale_db(config), DERIVED_CODE % (centre_box(config), RESULT_MARKER))
        notes.append(
            f"Fields of view and street exposure for the {derived['cameras']:,} cameras in the "
            f"central {CENTRE_SIDE_M / 1000:g} km square of the synthetic city: "
            f"{derived['seconds']:.0f} s (refresh_derived_data; the routes are planned there)."
        )
    except (RuntimeError, ImportError) as error:
        notes.append(f"Derived data on the synthetic graph not computed: {error}")
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(notes))
    return notes


def _city_bbox(config: BenchConfig, client: HttpClient, floor) -> Measurement:
    title = f"/api/cameras/?in_bbox, city viewport over {config.cameras:,} cameras"
    target = "median <= 15 ms and <= 2x raw SQL"
    missing = endpoint_missing("/api/cameras/")
    if missing:
        return Measurement.not_measured("city_bbox", title, target, "ms", missing)
    boxes = [viewport(c) for c in VIEWPORT_CENTRES]
    paths = [f"/api/cameras/?in_bbox={bbox_param(b)}" for b in boxes]
    page_size = settings.API_PAGE_SIZE
    sizes = [len(get_json(client, p).get("features", [])) for p in paths]
    with connect(scale_db(config)) as conn:
        matching = [conn.execute(baselines.BBOX_COUNT_SQL, b).fetchone()[0] for b in boxes]
        timings = time_interleaved(
            {
                "api": lambda i: get_ok(client, paths[i % len(paths)]),
                "raw": lambda i: baselines.bbox_page(conn, boxes[i % len(boxes)], page_size),
            },
            config.repeat,
            warmup=len(paths),
        )
    timing, raw = timings["api"], timings["raw"]
    back_to_back = time_gets(client, paths, config.repeat)
    alone = in_process_median_ms(scale_db(config), paths, config.repeat // 2)
    return Measurement(
        "city_bbox", title, target, "ms", value=timing.median, baseline=raw.median,
        baseline_name="raw SQL for the same rows (one page), timed interleaved with the API",
        check=lambda v, r: v <= 15.0 and r is not None and r <= 2.0,
        detail=(f"{timing.describe()}; {len(boxes)} viewports of {VIEWPORT_DEG[0]}x"
                f"{VIEWPORT_DEG[1]} degrees (Paris, Lyon, Marseille, London, Berlin) with "
                f"{min(matching):,}-{max(matching):,} matching cameras each, answered as "
                f"pages of {min(sizes)}-{max(sizes)} features (the page size is "
                f"{settings.API_PAGE_SIZE}). The API alone, requests back to back (no "
                f"baseline in between): {back_to_back.describe()}. The view alone (Django test "
                f"client, no HTTP): "
                f"median {alone:.1f} ms. HTTP floor: {floor.describe()}."),
    )  # fmt: skip


def _density(config: BenchConfig, client: HttpClient) -> Measurement:
    title = f"/api/density/, country viewport (France) over {config.cameras:,} cameras"
    target = "<= 150 ms"
    missing = endpoint_missing("/api/density/")
    if missing:
        return Measurement.not_measured("country_density", title, target, "ms", missing)
    path = f"/api/density/?in_bbox={bbox_param(FRANCE)}&zoom={COUNTRY_ZOOM}"
    cells = len(get_json(client, path).get("features", []))
    timing = time_gets(client, [path], max(config.repeat // 4, 10))
    cell_deg = 360 / 2 ** (COUNTRY_ZOOM + 3)
    with connect(scale_db(config)) as conn:
        raw = baselines.time_grid_counts(conn, FRANCE, cell_deg, max(config.repeat // 20, 3))
    return Measurement(
        "country_density", title, target, "ms", value=timing.median, baseline=raw.median,
        baseline_name=f"raw SQL grouping the box's cameras into {cell_deg:.2f} degree cells",
        check=lambda v, r: v <= 150.0,
        detail=f"zoom {COUNTRY_ZOOM}, {cells} cells; {timing.describe()}.",
    )  # fmt: skip


def _graph_route(config: BenchConfig, client: HttpClient) -> Measurement:
    title = f"/api/routes/ on the {config.segments:,}-segment synthetic graph, 3 km walks"
    target = "median <= 300 ms"
    missing = endpoint_missing("/api/routes/")
    if missing:
        return Measurement.not_measured("graph_route", title, target, "ms", missing)
    from mapping.routing import avoidance_lambda

    lam = avoidance_lambda(settings.ROUTE_DEFAULT_AVOIDANCE)
    with connect(scale_db(config)) as conn:
        pairs = route_pairs(conn, config.route_pairs, config.seed, 2800, 3200, centre_box(config))
        if not pairs:
            return Measurement.not_measured("graph_route", title, target, "ms",
                                            "the graph is too small for 3 km walks")  # fmt: skip
        api, raw_one, raw_two, answered = time_routes(client, conn, pairs, lam)
    return Measurement(
        "graph_route", title, target, "ms", value=api.median, baseline=raw_two.median,
        baseline_name="raw pgr_dijkstra over the whole graph, shortest + avoiding",
        check=lambda v, r: v <= 300.0,
        detail=(f"{answered} (2.8-3.2 km apart in a straight line); API {api.describe()}; "
                f"one raw whole-graph pgr_dijkstra: median {raw_one.median:.0f} ms."),
    )  # fmt: skip


def _export(config: BenchConfig) -> Measurement:
    title = f"Export of all {config.cameras:,}+ cameras as GeoJSON"
    target = ">= 0.5x COPY throughput, worker peak < 200 MB"
    missing = endpoint_missing(EXPORT_PATH)
    if missing:
        return Measurement.not_measured("export", title, target, "cameras/s", missing)
    with connect(scale_db(config)) as conn:
        copy_rows, copy_bytes, copy_s = baselines.copy_features_rate(conn)
    with Gunicorn(scale_db(config), workers=1) as server:
        client = HttpClient(server.port)
        client.get("/api/cameras/?in_bbox=2.35,48.85,2.36,48.86")  # load the code paths
        (worker,) = server.worker_pids()
        before_kb = memory_kb(worker, "VmRSS")
        features, size, status, started = 0, 0, None, time.perf_counter()
        tail = b""
        for chunk in HttpClient(server.port).stream(EXPORT_PATH):
            if status is None:
                status = chunk
                continue
            features += (tail + chunk).count(b'"Feature"') - tail.count(b'"Feature"')
            tail, size = chunk[-16:], size + len(chunk)
        seconds = time.perf_counter() - started
        peak_mb = memory_kb(worker, "VmHWM") / 1024
    if status != 200:
        raise EndpointError(f"GET {EXPORT_PATH} answered {status}")
    rate = features / seconds
    return Measurement(
        "export", title, target, "cameras/s", value=rate, baseline=copy_rows / copy_s,
        baseline_name="COPY (SELECT ST_AsGeoJSON(row)) TO STDOUT",
        check=lambda v, r: r is not None and r >= 0.5 and peak_mb < 200,
        detail=(f"{features:,} features, {size / 1e6:,.0f} MB in {seconds:.1f} s; worker peak "
                f"memory (VmHWM) {peak_mb:.0f} MB (resident before the export: "
                f"{before_kb / 1024:.0f} MB). COPY: {copy_rows:,} rows, "
                f"{copy_bytes / 1e6:,.0f} MB in {copy_s:.1f} s."),
    )  # fmt: skip


# Seconds of load before the measured run, so that it measures the steady state.
WARM_UP_SECONDS = 15.0
LOAD_SHARES = {"bbox": 0.70, "density": 0.25, "route": 0.05}
# View centres are drawn from this many cameras (where people look follows the data).
VIEW_CENTRES = 20_000

CENTRES_SQL = """
    SELECT ST_X(location), ST_Y(location)
    FROM mapping_camera TABLESAMPLE BERNOULLI (%s) REPEATABLE (%s)
    WHERE status = 'active'
"""


def benchmark_mix(config: BenchConfig, conn, seed: int) -> list[tuple[str, str]]:
    """The benchmarks' own requests, repeated: 70 % the eight city viewports, 25 % density
    (France at zoom 6 and screens at zooms 7-12 around the cities), 5 % walks of 0.5-2 km.
    Like the popular views of a real map, the same requests come back again and again."""
    bbox_paths = [f"/api/cameras/?in_bbox={bbox_param(viewport(c))}" for c in VIEWPORT_CENTRES]
    density = [f"/api/density/?in_bbox={bbox_param(FRANCE)}&zoom={COUNTRY_ZOOM}"]
    for zoom in range(7, 13):
        for lon, lat in VIEWPORT_CENTRES[::2]:
            density.append(
                f"/api/density/?in_bbox={screen_box(lon, lat, zoom).param()}&zoom={zoom}"
            )
    return _with_walks_shuffled(config, conn, seed, {"bbox": bbox_paths, "density": density})


# Shares of the readers' views: street level, density layer, walks.
READER_SHARES = {"street": 0.70, "density": 0.25, "route": 0.05}
# Views are drawn for this share of the run's requests (a street view sends one or two),
# and cycled if they fall short.
READER_VIEWS_PER_REQUEST = 0.75

CAMERAS_IN_BOX_SQL = """
    SELECT count(*) FROM mapping_camera
    WHERE status = 'active' AND position <@ box(point(%s, %s), point(%s, %s))
"""


def readers_mix(config: BenchConfig, conn, seed: int) -> list[tuple[str, str]]:
    """Requests of people each looking somewhere else: 70 % of the views at street level
    (zoom 15-17: the count of the area the map loads, in squares, then its markers where
    at most MAP_MARKER_LIMIT, one page), 25 % density layers at zoom 5-13, centred on cameras
    drawn at random and snapped to tiles as the map does (mapping/bench/viewers.py), and
    5 % walks of 0.5-2 km. A view's requests follow each other."""
    total = int(config.load_rate * config.load_seconds)
    cameras = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'mapping_camera'")
    share = min(100.0, 100.0 * VIEW_CENTRES / max(1.0, cameras.fetchone()[0]))
    centres = conn.execute(CENTRES_SQL, (share, seed)).fetchall()
    reader = ReaderSettings(
        settings.API_MAX_BBOX_AREA_DEG2, settings.API_MAX_PAGE_SIZE, settings.MAP_MARKER_LIMIT
    )
    counted: dict[tuple[float, ...], int] = {}

    def cameras_in(box) -> int:
        key = (box.west, box.south, box.east, box.north)
        if key not in counted:
            counted[key] = conn.execute(CAMERAS_IN_BOX_SQL, key).fetchone()[0]
        return counted[key]

    per_request = READER_VIEWS_PER_REQUEST
    n_views = {kind: round(part * total * per_request) for kind, part in READER_SHARES.items()}
    walks = route_pairs(conn, 40, seed, 500, 2000, centre_box(config))
    n_routes = n_views["route"] if walks else 0
    views = [
        *reader_views(centres, n_views["street"], "street", seed, reader, cameras_in),
        *reader_views(centres, n_views["density"], "density", seed + 1, reader, cameras_in),
        *([("route", route_path(*walks[k % len(walks)]))] for k in range(n_routes)),
    ]
    random.Random(seed).shuffle(views)  # noqa: S311 - reproducible inputs, not secrets
    mix = []
    while len(mix) < total:
        for view in views:
            mix.extend(view)
    return mix[:total]


def _with_walks_shuffled(config: BenchConfig, conn, seed: int, parts: dict[str, list[str]]):
    """``parts`` plus 40 walks of 0.5-2 km in the central square, mixed in LOAD_SHARES:
    one (kind, path) per slot of the load test."""
    walks = route_pairs(conn, 40, seed, 500, 2000, centre_box(config))
    parts = {**parts, "route": [route_path(a, b) for a, b in walks]}
    total = int(config.load_rate * config.load_seconds)
    return shuffled_mix(
        {kind: (LOAD_SHARES[kind], paths) for kind, paths in parts.items() if paths}, total, seed
    )


def _views_line(mix: list[tuple[str, str]], capacity: LoadResult) -> str:
    """For street-level views (one request or two): how many requests a view took, and
    the capacity probe's answers as views."""
    markers = sum(kind == "bbox" for kind, _ in mix)
    if not any(kind == "street" for kind, _ in mix):
        return ""
    per_view = len(mix) / (len(mix) - markers)
    return (
        f"Views: {len(mix) - markers:,} ({per_view:.2f} requests a view; "
        f"{markers:,} street views of {sum(k == 'street' for k, _ in mix):,} fit "
        f"MAP_MARKER_LIMIT and asked for markers); at that rate the capacity below is "
        f"about {capacity.achieved_rps / per_view:.0f} views/s. "
    )


def _cache_summary(result: LoadResult) -> str:
    """How the answers were made: from the cache (hit) or computed (miss, pass), per kind."""
    kinds = sorted({key.split()[0] for key in result.cache})
    parts = []
    for kind in kinds:
        hits = result.cache.get(f"{kind} hit", 0)
        answered = sum(n for key, n in result.cache.items() if key.split()[0] == kind)
        parts.append(f"{kind} {hits}/{answered} from the cache")
    return ", ".join(parts) or "no answers"


LOAD_KINDS = {
    "load": (
        benchmark_mix,
        "the benchmarks' own requests, repeated",
        "the eight city viewports, the density screens and 40 walks above, cycled",
    ),
    "load_readers": (
        readers_mix,
        "map readers each looking somewhere else",
        "views centred on cameras drawn at random (zoom 15-17 at street level: the area's "
        "count in squares, then its markers where they fit; zoom 5-13 for density), snapped "
        "to tiles as the map does, and 40 walks",
    ),
}


def _load(config: BenchConfig, name: str) -> tuple[Measurement, LoadResult | None]:
    make_mix, label, described = LOAD_KINDS[name]
    title = f"Load test, {label}: {config.load_rate:g} requests/s for {config.load_seconds:g} s"
    target = "p99 < 250 ms, no errors, rate held"
    for path in ("/api/cameras/", "/api/density/", "/api/routes/"):
        missing = endpoint_missing(path)
        if missing:
            return Measurement.not_measured(name, title, target, "ms", missing), None
    with connect(scale_db(config)) as conn:
        mix = make_mix(config, conn, config.seed)
        warm_mix = make_mix(config, conn, config.seed + 100)
        probe_mix = make_mix(config, conn, config.seed + 200)
    distinct = len({path for _, path in mix})
    probe_s = 5.0 if config.quick else CAPACITY_SECONDS
    warm_s = 2.0 if config.quick else WARM_UP_SECONDS
    # The server starts with an empty response cache, then takes the same rate of another
    # draw of the same kind of requests for warm_s (not measured, as load tools ramp up),
    # and only then the measured run. The capacity probe comes last, on a third draw and a
    # fresh server: an overloaded one goes on computing the requests its clients gave up
    # on (gunicorn cannot tell), and would still be busy with them during the probe.
    with Gunicorn(scale_db(config), cached=True) as server:
        warm = run_load(server.port, warm_mix, config.load_rate, warm_s)
        result = run_load(server.port, mix, config.load_rate, config.load_seconds)
        workers = server.workers
    with Gunicorn(scale_db(config), cached=True) as server:
        capacity = run_capacity(server.port, probe_mix, 2 * server.workers, probe_s)
    held = result.sent == int(config.load_rate * config.load_seconds)
    kinds = ", ".join(
        f"{kind} p50 {result.quantile(0.5, kind):.0f} / p99 {result.quantile(0.99, kind):.0f} ms "
        f"(n={len(values)})" for kind, values in sorted(result.latencies_ms.items())
    )  # fmt: skip
    return Measurement(
        name, title, target, "ms",
        value=result.quantile(0.99) if result.ok else None,
        baseline=result.quantile(0.5) if result.ok else None,
        baseline_name="the same run's median",
        check=lambda v, r: v < 250 and not result.errors and held,
        detail=(f"{result.sent} requests sent, {result.ok} answered 200, "
                f"{sum(result.errors.values())} errors {dict(result.errors) or ''}; "
                f"{result.achieved_rps:.0f} answers/s over {result.wall_s:.1f} s; {kinds}. "
                f"{_views_line(mix, capacity)}"
                f"Requests: {described}; {distinct:,} different URLs among {len(mix):,}. "
                f"Answers: {_cache_summary(result)}. Warm-up before it, from an empty cache "
                f"({warm_s:g} s at the same rate, another draw): p99 "
                f"{warm.quantile(0.99) if warm.ok else float('nan'):.0f} ms, "
                f"{sum(warm.errors.values())} errors. Gunicorn: "
                f"{workers} sync workers. Capacity measured right after on a fresh server "
                f"(empty cache, closed loop, {2 * workers} clients, {probe_s:g} s, another "
                f"draw of the same kind): "
                f"{capacity.achieved_rps:.1f} answers/s, median "
                f"{capacity.quantile(0.5):.0f} ms, {sum(capacity.errors.values())} errors "
                f"({_cache_summary(capacity)})."),
    ), result  # fmt: skip


def run_scale(config: BenchConfig, selected: set[str], regenerate: bool):
    """The selected scale benchmarks; returns (measurements, notes)."""
    notes = ensure_data(config, regenerate)
    results = []
    http_names = [
        n
        for n in ("city_bbox", "country_density", "graph_route", "load", "load_readers")
        if n in selected
    ]
    try:
        if http_names:
            with Gunicorn(scale_db(config)) as server:
                client = HttpClient(server.port)
                floor = http_floor(client, config.repeat)
                runs = {
                    "city_bbox": lambda: _city_bbox(config, client, floor),
                    "country_density": lambda: _density(config, client),
                    "graph_route": lambda: _graph_route(config, client),
                    "load": lambda: _load(config, "load")[0],
                    "load_readers": lambda: _load(config, "load_readers")[0],
                }
                results += [guarded(name, runs[name]) for name in http_names]
    except RuntimeError as error:
        results += [Measurement.not_measured(n, n, "-", "-", str(error)) for n in http_names]
    if "export" in selected:
        results.append(guarded("export", lambda: _export(config)))
    if "regional_import" in selected:
        results.append(
            guarded("regional_import", lambda: run_regional_import(config, scale_db(config)))
        )
    return results, notes
