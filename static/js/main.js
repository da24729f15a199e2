// The map page: builds the Leaflet map and wires the layers, the panel and the tools.
// Zoomed in, every camera is drawn (with fields of view from config.fovMinZoom) where they
// fit (config.markerLimit in the loaded area), and counted in squares where they do not;
// zoomed out, density squares replace them. Filters apply to whichever layer shows, and to
// exports.
import { CAMERA_PAD, CameraLayer, loadGlyphs } from "./cameras.js";
import { config } from "./config.js";
import { cellsInside, countFrom, DensityLayer } from "./density.js";
import { CameraPanel } from "./details.js";
import { updateExportLinks } from "./exporter.js";
import { Filters } from "./filters.js";
import { bboxForView, snapToTiles } from "./geo.js";
import { keepInView } from "./visible.js";
import { formatNumber, gettext, interpolate, ngettext } from "./i18n.js";
import { Panel } from "./panel.js";
import { RoutePlanner } from "./route.js";
import { wireSkipLink } from "./skiplink.js";
import { firstQuestion } from "./streetplan.js";
import { AddCamera } from "./submit.js";

const L = window.L;
const REFRESH_DELAY_MS = 150;

// The view lives in the address's fragment (#map=ZOOM/LAT/LON, as openstreetmap.org writes
// it): a link shows the same place, and switching the language or reloading keeps it. The
// fragment never reaches a server.
const VIEW_IN_ADDRESS = /^#map=(\d{1,2})\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/;

function viewInAddress() {
  const match = VIEW_IN_ADDRESS.exec(window.location.hash);
  if (!match) return null;
  const [zoom, lat, lon] = match.slice(1).map(Number);
  if (Math.abs(lat) > 85 || Math.abs(lon) > 180) return null;
  return { center: [lat, lon], zoom: Math.min(Math.max(zoom, config.minZoom), config.maxZoom) };
}

const initialView = viewInAddress() || { center: config.center, zoom: config.zoom };
const map = L.map("map", {
  center: initialView.center,
  zoom: initialView.zoom,
  minZoom: config.minZoom,
  maxZoom: config.maxZoom,
  keyboard: true,
});
L.tileLayer(config.tileUrl, {
  attribution: config.tileAttribution,
  maxZoom: config.maxZoom,
  maxNativeZoom: 19,
}).addTo(map);
L.control.scale({ imperial: false }).addTo(map);

const mapElement = document.getElementById("map");
const statusLine = document.getElementById("status");
const legendCameras = document.querySelector('[data-legend="cameras"]');
const legendDensity = document.querySelector('[data-legend="density"]');
const toolButtons = [...document.querySelectorAll(".tool[data-tool]")];
const panel = new Panel(document.getElementById("panel"), toolButtons);
wireSkipLink(document.querySelector(".skip-link"), panel, toolButtons);

const cameras = new CameraLayer(map, { onSelect: selectCamera });
const density = new DensityLayer(map, {
  legendElement: legendDensity,
  onCellClick: (latlng) => handleMapClick(latlng),
});
// The squares shown at street level instead of markers: for which filters, zoom and area.
let clusters = null;
const cameraPanel = new CameraPanel(panel.section("camera"));
const adder = new AddCamera(map, panel.section("add"), { onSelectCamera: selectCamera });
const planner = new RoutePlanner(map, panel.section("route"), {
  onHighlight: (ids) => cameras.highlight(ids),
});
const filters = new Filters(document.getElementById("filters-form"), () => {
  cameras.invalidate();
  density.clear();
  clusters = null;
  showFilterCount();
  refresh();
});
loadGlyphs(() => cameras.redraw());
// On a phone the legend starts folded: the map is small enough already.
if (window.matchMedia("(max-width: 520px)").matches) {
  document.getElementById("legend").open = false;
}

/** A click on a marker: while placing a camera or a route end, it is a click on the map. */
function selectCamera(id, latlng = null) {
  if (latlng && handleMapClick(latlng)) return;
  panel.open("camera", { focus: false });
  if (latlng) keepInView(map, latlng);
  cameraPanel.show(id);
}

function handleMapClick(latlng) {
  if (panel.current === "add") adder.handleMapClick(latlng);
  else if (panel.current === "route") planner.handleMapClick(latlng);
  else return false;
  return true;
}

function showFilterCount() {
  const button = toolButtons.find((b) => b.dataset.tool === "filters");
  const label = button.querySelector(".tool-label");
  label.dataset.base ??= label.textContent;
  const count = filters.activeCount;
  label.textContent = count ? `${label.dataset.base} (${count})` : label.dataset.base;
}

function updateExport() {
  updateExportLinks(panel.section("export"), bboxForView(map.getBounds()).text, filters.values());
}

panel.onChange((previous, next) => {
  if (previous === "add") adder.deactivate();
  if (previous === "route") planner.deactivate();
  if (next === "add") adder.activate();
  if (next === "route") planner.activate();
  if (next === "export") updateExport();
});

map.on("click", (event) => handleMapClick(event.latlng));

// Show the focus ring and the centre cross on the map only to keyboard users.
document.addEventListener("keydown", (event) => {
  if (["Tab", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter"].includes(event.key)) {
    document.body.classList.add("using-keyboard");
  }
});
document.addEventListener("pointerdown", () => document.body.classList.remove("using-keyboard"));

// Keyboard: arrows pan and +/- zoom (Leaflet); Enter acts at the centre of the map, marked by
// a cross while the map has the focus: it places a camera or a route end, or opens the
// camera drawn there.
mapElement.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.target !== mapElement) return;
  event.preventDefault();
  const centre = map.getCenter();
  if (handleMapClick(centre)) return;
  if (mapElement.dataset.layer === "clusters") {
    statusLine.textContent = gettext("Zoom in to see each camera.");
    return;
  }
  const id = cameras.nearestTo(map.latLngToContainerPoint(centre));
  if (id === null) statusLine.textContent = gettext("No camera at the centre of the map.");
  else selectCamera(id);
});

/** State the tests and assistive tools can read: which layer shows and what is loaded. */
function publishState(layer, loaded) {
  mapElement.dataset.layer = layer;
  mapElement.dataset.loaded = String(loaded);
  mapElement.dataset.zoom = String(map.getZoom());
}

/** Leaflet bounds grown to whole tiles of the current zoom (geo.snapToTiles). */
function tileAligned(bounds) {
  const { west, south, east, north } = snapToTiles(bounds, map.getZoom());
  return L.latLngBounds([south, west], [north, east]);
}

/**
 * The density zoom of the squares shown at street level instead of markers. Its cells are
 * tiles of zoom + 3, so they must nest in the tiles of `zoom` the loaded area is made of
 * (then the squares' total is the count of that area, exactly): 128 px squares up to zoom
 * 15 and 256 px ones beyond, read from the stored per-cell counts up to zoom 16
 * (config.clusterMaxZoom + 3) and counted from the cameras from zoom 17 on, where the
 * loaded area holds few.
 */
function clusterZoom(zoom) {
  return Math.max(Math.min(zoom - 2, config.clusterMaxZoom), zoom - 3);
}

/**
 * Street level: markers where the area loaded around the view holds at most
 * config.markerLimit cameras, else counts in squares ("zoom in to see each camera").
 * Thousands of overlapping markers say less than the counts, and cost the server and the
 * browser ten times more. The count comes first, from the stored per-cell sums, unless
 * the squares drawn already tell it (streetplan.js). At the deepest zoom there is no
 * zooming in to see them: markers, however many.
 */
async function showStreetLevel(filterValues, current) {
  const zoom = map.getZoom();
  const view = map.getBounds();
  const withFov = zoom >= config.fovMinZoom;
  if (cameras.covers(view, filterValues, withFov) || zoom >= config.maxZoom) {
    clusters = null;
    await showCameras(filterValues, current, withFov);
    return;
  }
  const padded = tileAligned(view.pad(CAMERA_PAD));
  const bboxText = bboxForView(padded).text;
  const key = JSON.stringify([filterValues, zoom]);
  // Squares loaded at this zoom serve a view they cover while those inside the area it
  // would load still add up to more than the limit (they nest in its tiles: an exact sum,
  // and a lower bound of that area's count).
  if (
    clusters?.key === key &&
    clusters.bounds.contains(view) &&
    cellsInside(clusters.answer, padded).total > config.markerLimit
  ) {
    showClusters(clusters.answer);
    return;
  }
  const question = firstQuestion({
    known: countFrom(density.answer, bboxText, zoom, filterValues),
    markerLimit: config.markerLimit,
  });
  if (question.markers) {
    await showCameras(filterValues, current, withFov);
    return;
  }
  const answer = await countOrNull(bboxText, clusterZoom(zoom), filterValues);
  if (!current()) return;
  if (answer && cellsInside(answer, padded).total > config.markerLimit) {
    clusters = { key, bounds: padded, answer };
    showClusters(answer);
    return;
  }
  clusters = null;
  await showCameras(filterValues, current, withFov);
}

/**
 * The count of an area for showStreetLevel, or null when it could not be had: then the
 * markers are asked for anyway (their own pages keep them bounded), rather than leaving a
 * street-level map empty because a count failed.
 */
async function countOrNull(bboxText, zoom, filterValues) {
  try {
    return await density.fetch(bboxText, zoom, filterValues);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    return null;
  }
}

/** The squares of a count, and in the status line the cameras of the view's tiles. */
function showClusters(answer) {
  legendCameras.hidden = true;
  legendDensity.hidden = false;
  cameras.clear();
  planner.showPassed(() => true);
  density.show(answer);
  const { total } = cellsInside(answer, tileAligned(map.getBounds()));
  const line = interpolate(
    ngettext("%(n)s camera in this area", "%(n)s cameras in this area", total),
    { n: formatNumber(total) },
  );
  statusLine.textContent = `${line} · ${gettext("zoom in to see each camera")}`;
  publishState("clusters", density.cellCount);
}

/** The markers of the view; false when the view moved meanwhile. */
async function showCameras(filterValues, current, withFov) {
  const drawn = await cameras.load(map.getBounds(), filterValues, withFov, {
    bboxText: (bounds) => bboxForView(bounds).text,
    align: tileAligned,
  });
  if (!drawn || !current()) return false;
  legendCameras.hidden = false;
  legendDensity.hidden = true;
  density.clear();
  planner.showPassed((id) => !cameras.byId?.has(id)); // the markers ring the others
  const inView = cameras.countIn(map.getBounds());
  let text = interpolate(ngettext("%(n)s camera in view", "%(n)s cameras in view", inView), {
    n: formatNumber(inView),
  });
  if (cameras.truncated) text += ` · ${gettext("zoom in to see them all")}`;
  statusLine.textContent = text;
  publishState("cameras", cameras.features.length);
  return true;
}

async function showDensity(filterValues, current) {
  legendCameras.hidden = true;
  legendDensity.hidden = false;
  cameras.clear();
  planner.showPassed(() => true);
  clusters = null;
  const { text, clipped } = bboxForView(
    tileAligned(map.getBounds()),
    config.maxBboxAreaDeg2,
    map.getCenter(),
  );
  await density.load(text, map.getZoom(), filterValues);
  if (!current()) return;
  const total = density.total;
  let line = interpolate(
    ngettext("%(n)s camera in this area", "%(n)s cameras in this area", total),
    { n: formatNumber(total) },
  );
  if (clipped) line += ` · ${gettext("counted around the centre of the view")}`;
  statusLine.textContent = line;
  publishState("density", density.cellCount);
}

let refreshTimer = null;
let refreshing = Promise.resolve();
// Only the latest refresh may publish its state: an older one finishing late (the view moved
// while it was loading) would describe a view that is gone.
let refreshGeneration = 0;

async function refresh() {
  const generation = ++refreshGeneration;
  const current = () => generation === refreshGeneration;
  const filterValues = filters.values();
  mapElement.dataset.loading = "true";
  try {
    if (map.getZoom() >= config.cameraMinZoom) await showStreetLevel(filterValues, current);
    else await showDensity(filterValues, current);
  } catch (error) {
    if (error.name === "AbortError" || !current()) return;
    statusLine.textContent = interpolate(gettext("Could not load the map data: %(reason)s"), {
      reason: error.message || String(error),
    });
    publishState("error", 0);
  }
  if (!current()) return;
  mapElement.dataset.loading = "false";
  if (panel.current === "export") updateExport();
}

// A move makes any refresh under way describe a view that is gone: supersede it at once.
map.on("movestart", () => {
  refreshGeneration += 1;
  mapElement.dataset.loading = "true";
});
map.on("moveend", () => {
  const centre = map.getCenter();
  const view = `#map=${map.getZoom()}/${centre.lat.toFixed(5)}/${centre.lng.toFixed(5)}`;
  window.history.replaceState(null, "", view);
  refreshGeneration += 1;
  mapElement.dataset.loading = "true";
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshing = refresh();
  }, REFRESH_DELAY_MS);
});

document.getElementById("language-select").addEventListener("change", (event) => {
  // Back to this very view in the other language: the fragment rides along in `next`.
  const form = event.target.form;
  form.elements.next.value = window.location.pathname + window.location.search + window.location.hash;
  form.requestSubmit();
});

refreshing = refresh();
window.angleMort = { map, cameras, density, planner, adder, refreshing: () => refreshing };
