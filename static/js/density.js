// The density layer: square counts from /api/density/ when zoomed out, with a legend whose
// classes follow the counts in view (a city and a country get readable classes alike).
import { getJSON, withParams } from "./api.js";
import { config } from "./config.js";
import { formatNumber, gettext, interpolate, ngettext } from "./i18n.js";

const L = window.L;
const CLASS_COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

/**
 * Up to five classes [low, high] from the cell counts: quantile breaks, merged when equal,
 * so a handful of distinct counts never produces empty classes.
 */
export function densityClasses(counts) {
  const sorted = counts.filter((n) => n > 0).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const breaks = [];
  for (let i = 1; i <= CLASS_COLOURS.length; i += 1) {
    const index = Math.min(sorted.length - 1, Math.ceil((i / CLASS_COLOURS.length) * sorted.length) - 1);
    const value = sorted[index];
    if (!breaks.length || value > breaks[breaks.length - 1]) breaks.push(value);
  }
  let low = sorted[0];
  return breaks.map((high) => {
    const range = [low, high];
    low = high + 1;
    return range;
  });
}

function colourFor(classes, count) {
  const offset = CLASS_COLOURS.length - classes.length;
  const index = classes.findIndex(([, high]) => count <= high);
  return CLASS_COLOURS[offset + (index < 0 ? classes.length - 1 : index)];
}

function answerKey(bbox, zoom, filters) {
  return JSON.stringify([bbox, zoom, filters]);
}

// A density cell drawn at zoom z is a map tile of zoom z + 3 (mapping/density/cells.py).
const CELL_LEVELS_BELOW_ZOOM = 3;

/** [west, south, east, north] of a MINLON,MINLAT,MAXLON,MAXLAT text. */
function boxOf(bboxText) {
  return bboxText.split(",").map(Number);
}

/**
 * The cameras of an area (`bboxText`, made of whole map tiles of `tileZoom`) that a fetch()
 * answer tells, or null when it cannot: other filters, an area it does not wholly cover,
 * or cells larger than those tiles (a cell across the area's edge would count cameras
 * outside it). Cells nesting in its tiles add up to the area's count exactly.
 */
export function countFrom(answer, bboxText, tileZoom, filters) {
  if (!answer || answer.filters !== JSON.stringify(filters)) return null;
  if (answer.zoom + CELL_LEVELS_BELOW_ZOOM < tileZoom) return null;
  const [west, south, east, north] = boxOf(bboxText);
  const [aWest, aSouth, aEast, aNorth] = boxOf(answer.bbox);
  if (west < aWest || south < aSouth || east > aEast || north > aNorth) return null;
  return cellsInside(answer, L.latLngBounds([south, west], [north, east])).total;
}

/** The cells of a fetch() answer lying in `bounds` (Leaflet), and their total. */
export function cellsInside(answer, bounds) {
  const cells = answer.cells.filter((feature) => bounds.contains(cellCentre(feature)));
  return { cells, total: cells.reduce((sum, feature) => sum + cellCount(feature), 0) };
}

function cellCentre(feature) {
  const ring = feature.geometry.coordinates[0];
  const lons = ring.map(([lon]) => lon);
  const lats = ring.map(([, lat]) => lat);
  return [(Math.min(...lats) + Math.max(...lats)) / 2, (Math.min(...lons) + Math.max(...lons)) / 2];
}

function cellCount(feature) {
  const props = feature.properties || {};
  return Number(props.count ?? props.camera_count ?? 0);
}

export class DensityLayer {
  /**
   * @param onCellClick called with the clicked position first; when it returns true (a
   *   tool took the click: placing a camera, a route end) the map does not zoom to the cell
   */
  constructor(map, { legendElement, onCellClick = () => false }) {
    this.map = map;
    this.legend = legendElement;
    this.onCellClick = onCellClick;
    this.layer = L.geoJSON(null, { renderer: L.canvas({ padding: 0.2 }) }).addTo(map);
    this.loaded = null;
    this.abort = null;
    this.cellCount = 0;
    this.total = 0;
    // The fetch() answer drawn (none once cleared): what it tells of the cameras of an area
    // (countFrom) spares the street level a question.
    this.answer = null;
  }

  async load(bbox, zoom, filters) {
    if (this.loaded === answerKey(bbox, zoom, filters)) return;
    this.show(await this.fetch(bbox, zoom, filters));
  }

  /**
   * The cells of (bbox, zoom, filters) and their total, without drawing them: the camera
   * layer asks this first to decide between markers and cells (main.js).
   */
  async fetch(bbox, zoom, filters) {
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const url = withParams(config.api.density, {
      ...filters,
      status: "active",
      in_bbox: bbox,
      zoom,
    });
    const collection = await getJSON(url, { signal: this.abort.signal });
    const cells = (collection.features || []).filter((feature) => cellCount(feature) > 0);
    const total = cells.reduce((sum, feature) => sum + cellCount(feature), 0);
    const filtered = Object.values(filters || {}).some((value) => value);
    return {
      key: answerKey(bbox, zoom, filters),
      bbox,
      zoom,
      filters: JSON.stringify(filters),
      cells,
      total,
      filtered,
    };
  }

  /** Draw an answer of fetch(). */
  show(answer) {
    this.answer = answer;
    this.loaded = answer.key;
    this.filtered = answer.filtered;
    this.render(answer.cells);
  }

  render(features) {
    const cells = features.filter((feature) => cellCount(feature) > 0);
    const classes = densityClasses(cells.map(cellCount));
    this.layer.clearLayers();
    for (const feature of cells) {
      const count = cellCount(feature);
      const cell = L.geoJSON(feature, {
        renderer: this.layer.options.renderer,
        bubblingMouseEvents: false,
        style: {
          color: "#7a0c0c",
          weight: 0.6,
          opacity: 0.6,
          fillColor: colourFor(classes, count),
          fillOpacity: 0.72,
        },
      });
      cell.bindTooltip(
        interpolate(ngettext("%(count)s camera", "%(count)s cameras", count), {
          count: formatNumber(count),
        }),
        { sticky: true },
      );
      // A click zooms to the cell: to the camera layer from a density view, a few levels
      // further from the squares shown at street level where markers would not fit.
      const zoom = this.map.getZoom();
      const maxZoom = zoom < config.cameraMinZoom ? config.cameraMinZoom : zoom + 3;
      cell.on("click", (event) => {
        if (this.onCellClick(event.latlng)) return;
        this.map.fitBounds(cell.getBounds(), { maxZoom });
      });
      this.layer.addLayer(cell);
    }
    this.cellCount = cells.length;
    this.renderLegend(classes);
    this.total = cells.reduce((sum, feature) => sum + cellCount(feature), 0);
  }

  renderLegend(classes) {
    const list = this.legend.querySelector(".density-classes");
    list.replaceChildren();
    const offset = CLASS_COLOURS.length - classes.length;
    classes.forEach(([low, high], index) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = CLASS_COLOURS[offset + index];
      item.append(
        swatch,
        low === high
          ? formatNumber(low)
          : interpolate(gettext("%(low)s to %(high)s"), {
              low: formatNumber(low),
              high: formatNumber(high),
            }),
      );
      list.append(item);
    });
    if (!classes.length) {
      const item = document.createElement("li");
      item.textContent = this.filtered
        ? gettext("No camera here with these filters.")
        : gettext("No camera known here.");
      list.append(item);
    }
  }

  clear() {
    if (this.abort) this.abort.abort();
    this.loaded = null;
    this.answer = null;
    this.layer.clearLayers();
    this.cellCount = 0;
    this.total = 0;
  }
}
