// The camera layer: one canvas for every camera in view (thousands stay smooth), a glyph per
// kind of device on a disc coloured by what it watches, wedges for its directions, and the
// fields of view underneath from a readable zoom.
import { getJSON, withParams } from "./api.js";
import { config } from "./config.js";

const L = window.L;

export const SURVEILLANCE_COLOURS = {
  public: "#d62728",
  outdoor: "#1f77b4",
  indoor: "#9467bd",
};
const UNKNOWN_COLOUR = "#6b6b6b";
export const HIGHLIGHT_COLOUR = "#ffd400";
const WEDGE_LENGTH_PX = 9;
const WEDGE_HALF_ANGLE_RAD = 0.38;
// At most this many pages of the list endpoint per view (5,000 cameras each). Below the
// deepest zoom the map asks for markers only where they fit in one (config.markerLimit,
// streetplan.js); more pages follow there only if cameras were added meanwhile.
const MAX_PAGES = 4;
// The camera layer loads the view padded by this share on each side, so small pans stay local.
export const CAMERA_PAD = 0.3;
// What a marker is drawn from (colour, glyph, wedges); the camera panel reads the rest from
// /api/cameras/{id}/ when a marker is chosen. A page of these is 40 % of a full one's bytes.
const MARKER_PROPERTIES = ["surveillance", "surveillance_type", "camera_type", "directions"];

export function colourFor(properties) {
  return SURVEILLANCE_COLOURS[properties.surveillance] || UNKNOWN_COLOUR;
}

/** Which glyph (static/img/type-*.svg) stands for this camera. */
export function iconType(properties) {
  switch (properties.surveillance_type) {
    case "guard":
      return "guard";
    case "alpr":
      return "alpr";
    case "gunshot_detector":
      return "gunshot";
    default:
      return ["fixed", "dome", "panning"].includes(properties.camera_type)
        ? properties.camera_type
        : "unknown";
  }
}

const glyphs = {};

/** Load the glyph images once; `onReady` redraws when they are decoded. */
export function loadGlyphs(onReady) {
  const entries = Object.entries(config.icons);
  let pending = entries.length;
  for (const [name, url] of entries) {
    const image = new Image();
    image.onload = image.onerror = () => {
      pending -= 1;
      if (pending === 0) onReady();
    };
    image.src = url;
    glyphs[name] = image;
  }
}

function radiusForZoom(zoom) {
  if (zoom >= 17) return 10;
  if (zoom >= 15) return 8;
  return 6;
}

// Discs with their glyph are drawn once per (glyph, colour, radius, highlight) on a small
// canvas and then stamped with one drawImage per camera: rasterising the SVG glyph for each
// of thousands of cameras on every redraw is what makes a canvas map stutter.
const sprites = new Map();
const SPRITE_PIXEL_RATIO = Math.max(1, Math.min(3, window.devicePixelRatio || 1));

function sprite(type, colour, radius, highlight) {
  const key = `${type}|${colour}|${radius}|${highlight ? 1 : 0}`;
  let canvas = sprites.get(key);
  if (canvas) return canvas;
  const reach = radius + 6;
  canvas = document.createElement("canvas");
  canvas.width = canvas.height = Math.ceil(reach * 2 * SPRITE_PIXEL_RATIO);
  const ctx = canvas.getContext("2d");
  ctx.scale(SPRITE_PIXEL_RATIO, SPRITE_PIXEL_RATIO);
  if (highlight) {
    ctx.beginPath();
    ctx.arc(reach, reach, radius + 4, 0, Math.PI * 2);
    ctx.lineWidth = 4;
    ctx.strokeStyle = HIGHLIGHT_COLOUR;
    ctx.stroke();
  }
  ctx.beginPath();
  ctx.arc(reach, reach, radius, 0, Math.PI * 2);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#fff";
  ctx.stroke();
  const glyph = glyphs[type];
  const ready = glyph && glyph.complete && glyph.naturalWidth;
  if (ready) {
    const side = radius * 1.5;
    ctx.drawImage(glyph, reach - side / 2, reach - side / 2, side, side);
  }
  // Cache only once the glyph is in: until then the plain disc is drawn afresh each time.
  if (ready) sprites.set(key, canvas);
  return canvas;
}

function drawCamera(ctx, point, radius, properties, highlight) {
  const colour = colourFor(properties);
  const directions = properties.directions || [];
  if (directions.length) {
    ctx.save();
    ctx.globalAlpha = 0.9;
    ctx.fillStyle = colour;
    ctx.beginPath();
    for (const direction of directions) {
      // Canvas angles start east and turn clockwise; bearings start north.
      const angle = ((direction - 90) * Math.PI) / 180;
      ctx.moveTo(point.x, point.y);
      ctx.arc(
        point.x,
        point.y,
        radius + WEDGE_LENGTH_PX,
        angle - WEDGE_HALF_ANGLE_RAD,
        angle + WEDGE_HALF_ANGLE_RAD,
      );
      ctx.closePath();
    }
    ctx.fill();
    ctx.restore();
  }
  const image = sprite(iconType(properties), colour, radius, highlight);
  const reach = radius + 6;
  ctx.drawImage(image, point.x - reach, point.y - reach, reach * 2, reach * 2);
}

/** A circle marker drawn as a camera glyph; hit-testing stays Leaflet's own circle test. */
const CameraMarker = L.CircleMarker.extend({
  _updateBounds() {
    const reach = this._radius + WEDGE_LENGTH_PX + 4;
    this._pxBounds = new L.Bounds(
      this._point.subtract([reach, reach]),
      this._point.add([reach, reach]),
    );
  },
  _updatePath() {
    const renderer = this._renderer;
    if (!renderer._drawing || this._empty()) return;
    drawCamera(
      renderer._ctx,
      this._point,
      this._radius,
      this.feature.properties,
      this.options.highlight,
    );
  },
});

/** The field-of-view geometry the list endpoint adds with fov=1 (a property or a field). */
function fovGeometry(feature) {
  const props = feature.properties || {};
  const geometry = props.fov ?? props.fov_geometry ?? null;
  if (!geometry) return null;
  return typeof geometry === "string" ? JSON.parse(geometry) : geometry;
}

export class CameraLayer {
  /**
   * @param map Leaflet map
   * @param onSelect called with a camera id and the clicked position when a marker is clicked
   */
  constructor(map, { onSelect }) {
    this.map = map;
    this.onSelect = onSelect;
    map.createPane("fov");
    map.getPane("fov").style.zIndex = 380;
    this.markerRenderer = L.canvas({ padding: 0.3, tolerance: 3 });
    this.fovRenderer = L.canvas({ pane: "fov", padding: 0.3 });
    this.markers = L.layerGroup().addTo(map);
    this.fovs = L.layerGroup().addTo(map);
    this.highlighted = new Set();
    this.features = [];
    this.loaded = null;
    this.loadedBounds = null;
    this.total = 0;
    this.abort = null;
  }

  /**
   * Make sure the cameras of `view` (Leaflet bounds) are loaded with `filters` and drawn;
   * withFov adds fields of view. A view inside what is already loaded costs no request: the
   * area asked for is the view padded by `pad` on each side, so small pans stay local, then
   * grown by `align` (to whole map tiles, so that nearby views send the same, cacheable
   * request). Resolves to true once the cameras are drawn.
   */
  async load(view, filters, withFov, { bboxText, pad = CAMERA_PAD, align = (bounds) => bounds }) {
    const key = JSON.stringify([filters, withFov]);
    const radius = radiusForZoom(this.map.getZoom());
    if (this.covers(view, filters, withFov)) {
      if (radius !== this.radius) this.render(withFov);
      return true;
    }
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const padded = align(view.pad(pad));
    const params = {
      ...filters,
      in_bbox: bboxText(padded),
      status: "active",
      page_size: config.pageSize,
      properties: MARKER_PROPERTIES.join(","),
      fov: withFov ? 1 : "",
    };
    let url = withParams(config.api.cameras, params);
    const features = [];
    let count = 0;
    for (let pages = 0; url && pages < MAX_PAGES; pages += 1) {
      const page = await getJSON(url, { signal: this.abort.signal });
      features.push(...(page.features || []));
      count = page.count ?? features.length;
      url = page.next || null;
    }
    this.loaded = key;
    this.loadedBounds = padded;
    this.total = count;
    this.features = features;
    this.render(withFov);
    return true;
  }

  /** True when the cameras of `view` with these filters are loaded already (no request). */
  covers(view, filters, withFov) {
    const key = JSON.stringify([filters, withFov]);
    return this.loaded === key && Boolean(this.loadedBounds?.contains(view));
  }

  /** How many loaded cameras lie inside `bounds` (the status line's figure). */
  countIn(bounds) {
    let inside = 0;
    for (const feature of this.features) {
      const [lng, lat] = feature.geometry?.coordinates || [];
      if (lat !== undefined && bounds.contains([lat, lng])) inside += 1;
    }
    return inside;
  }

  /** True when the padded area held more cameras than were fetched (MAX_PAGES reached). */
  get truncated() {
    return this.total > this.features.length;
  }

  render(withFov) {
    const radius = radiusForZoom(this.map.getZoom());
    this.radius = radius;
    this.markers.clearLayers();
    this.fovs.clearLayers();
    this.byId = new Map();
    for (const feature of this.features) {
      if (!feature.geometry || feature.geometry.type !== "Point") continue;
      const [lng, lat] = feature.geometry.coordinates;
      const id = feature.id ?? feature.properties.id;
      const marker = new CameraMarker([lat, lng], {
        renderer: this.markerRenderer,
        radius,
        highlight: this.highlighted.has(id),
        bubblingMouseEvents: false,
      });
      marker.feature = feature;
      // Leaflet reports a small circle's own centre as a click's latlng; tools placing a
      // point want where the pointer really was.
      marker.on("click", (event) =>
        this.onSelect(id, this.map.mouseEventToLatLng(event.originalEvent)),
      );
      marker.addTo(this.markers);
      this.byId.set(id, marker);
      const fov = withFov ? fovGeometry(feature) : null;
      if (fov) {
        L.geoJSON(fov, {
          renderer: this.fovRenderer,
          interactive: false,
          style: {
            color: colourFor(feature.properties),
            weight: 1,
            opacity: 0.5,
            fillOpacity: 0.16,
          },
        }).addTo(this.fovs);
      }
    }
  }

  /** The camera drawn nearest to a container point, within maxPx pixels, or null. */
  nearestTo(containerPoint, maxPx = 30) {
    let best = null;
    let bestDistance = maxPx;
    for (const [id, marker] of this.byId || []) {
      const distance = this.map.latLngToContainerPoint(marker.getLatLng()).distanceTo(containerPoint);
      if (distance <= bestDistance) {
        best = id;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** Ring the cameras a route passes (ids from the routes API). */
  highlight(ids) {
    this.highlighted = new Set(ids);
    if (!this.byId) return;
    for (const [id, marker] of this.byId) {
      const on = this.highlighted.has(id);
      if (marker.options.highlight !== on) {
        marker.options.highlight = on;
        marker.redraw();
      }
    }
  }

  /** Forget what is loaded (after a filter change or a new camera). */
  invalidate() {
    this.loaded = null;
    this.loadedBounds = null;
  }

  /** Draw everything again (once the glyph images have loaded). */
  redraw() {
    if (this.markerRenderer._map) this.markerRenderer._redraw();
  }

  clear() {
    if (this.abort) this.abort.abort();
    this.loaded = null;
    this.loadedBounds = null;
    this.features = [];
    this.markers.clearLayers();
    this.fovs.clearLayers();
    this.byId = new Map();
  }
}
