// Plan a walk: click the start and the end (or start from the device position), choose how
// hard to avoid cameras; both routes from /api/routes/ are drawn with their figures, the
// cameras they pass are ringed on the map, and the avoiding route downloads as GPX.
import { ApiError, getJSON, withParams } from "./api.js";
import { HIGHLIGHT_COLOUR } from "./cameras.js";
import { config } from "./config.js";
import { lonLat } from "./geo.js";
import { formatNumber, gettext, interpolate, ngettext } from "./i18n.js";
import { visibleCentre } from "./visible.js";

const L = window.L;
const STYLES = {
  shortest: { color: "#444", weight: 5, opacity: 0.75, dashArray: "8 8" },
  avoiding: { color: "#1a9641", weight: 7, opacity: 0.9 },
};
const ORDER = ["avoiding", "shortest"];
// A camera a route passes, drawn by the planner while the map shows counts instead of
// markers: the marker's yellow ring around a dark dot.
const PASSED_STYLE = {
  pane: "routeCameras",
  radius: 6,
  color: HIGHLIGHT_COLOUR,
  weight: 4,
  fillColor: "#222",
  fillOpacity: 1,
  interactive: false,
};

function endIcon(kind, text) {
  return L.divIcon({
    className: "",
    html: `<span class="route-end route-end-${kind}">${text}</span>`,
    iconSize: [26, 26],
    iconAnchor: [13, 13],
  });
}

function formatDistance(metres) {
  return metres >= 1000
    ? interpolate(gettext("%(km)s km"), { km: formatNumber(metres / 1000, 2) })
    : interpolate(gettext("%(m)s m"), { m: formatNumber(metres) });
}

function formatDuration(seconds) {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return interpolate(gettext("%(min)s min"), { min: formatNumber(minutes) });
  return interpolate(gettext("%(h)s h %(min)s min"), {
    h: formatNumber(Math.floor(minutes / 60)),
    min: formatNumber(minutes % 60),
  });
}

/** The query both the JSON and the GPX request use. */
export function routeParams(start, end, avoid, strict) {
  return { from: lonLat(start), to: lonLat(end), avoid: strict ? "strict" : String(avoid) };
}

export class RoutePlanner {
  constructor(map, section, { onHighlight }) {
    this.map = map;
    this.section = section;
    this.form = section.querySelector("#route-form");
    this.step = section.querySelector(".route-step");
    this.result = section.querySelector(".route-result");
    this.avoid = this.form.elements.avoid;
    this.avoidValue = section.querySelector("#route-avoid-value");
    this.strict = this.form.elements.strict;
    this.onHighlight = onHighlight;
    this.layer = L.layerGroup();
    this.lines = L.layerGroup().addTo(this.layer);
    // Above the squares and the lines, below the route's ends.
    map.createPane("routeCameras").style.zIndex = 450;
    this.passed = L.layerGroup().addTo(this.layer);
    this.passedCameras = [];
    this.drawsPassed = () => true;
    this.start = null;
    this.end = null;
    this.active = false;
    this.abort = null;
    this.timer = null;

    this.avoidValue.textContent = formatNumber(Number(this.avoid.value), 1);
    this.avoid.addEventListener("input", () => {
      this.avoidValue.textContent = formatNumber(Number(this.avoid.value), 1);
      this.scheduleRoute();
    });
    this.strict.addEventListener("change", () => {
      this.avoid.disabled = this.strict.checked;
      this.scheduleRoute();
    });
    section.querySelector('[data-action="route-here"]').addEventListener("click", () => this.useDevicePosition());
    section
      .querySelector('[data-action="route-centre"]')
      .addEventListener("click", () => this.handleMapClick(visibleCentre(this.map), true));
    section.querySelector('[data-action="route-clear"]').addEventListener("click", () => this.clear());
    this.form.addEventListener("submit", (event) => event.preventDefault());
  }

  activate() {
    this.active = true;
    this.layer.addTo(this.map);
    this.map.getContainer().style.cursor = "crosshair";
  }

  deactivate() {
    this.active = false;
    this.map.getContainer().style.cursor = "";
    // The drawn route stays until "start again", so the map can be explored around it.
  }

  /** First click: start; second: end (and the route is asked for); later clicks move the end. */
  handleMapClick(latlng, force = false) {
    if (!this.active && !force) return;
    if (!this.start) {
      this.start = this.endMarker("start", latlng, gettext("A"), gettext("Start of the route"));
      this.step.textContent = gettext("Now click the end of your walk.");
    } else if (!this.end) {
      this.end = this.endMarker("end", latlng, gettext("B"), gettext("End of the route"));
      this.step.textContent = gettext("Drag A or B to change the route.");
      this.route();
    } else {
      this.end.setLatLng(latlng);
      this.route();
    }
  }

  endMarker(kind, latlng, text, title) {
    const marker = L.marker(latlng, { icon: endIcon(kind, text), draggable: true, title, keyboard: true });
    marker.on("dragend", () => this.route());
    return marker.addTo(this.layer);
  }

  useDevicePosition() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        if (this.start) this.start.setLatLng(latlng);
        else this.handleMapClick(latlng, true);
        this.map.panTo(latlng);
        if (this.end) this.route();
      },
      () => {
        this.step.textContent = gettext("Your position is not available; click the map instead.");
      },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  }

  scheduleRoute() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.route(), 250);
  }

  async route() {
    if (!this.start || !this.end) return;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const params = routeParams(
      this.start.getLatLng(),
      this.end.getLatLng(),
      this.avoid.value,
      this.strict.checked,
    );
    this.result.className = "route-result";
    this.result.textContent = gettext("Looking for routes…");
    try {
      const collection = await getJSON(withParams(config.api.routes, params), {
        signal: this.abort.signal,
      });
      this.show(collection, params);
    } catch (error) {
      if (error.name === "AbortError") return;
      this.lines.clearLayers();
      this.drawPassed([]);
      this.onHighlight([]);
      this.result.className = "route-result result-error";
      this.result.textContent =
        error instanceof ApiError ? [error.message, ...error.fieldMessages().slice(1)].join(" · ") : String(error);
    }
  }

  show(collection, params) {
    const byVariant = {};
    for (const feature of collection.features || []) byVariant[feature.properties.variant] = feature;
    this.lines.clearLayers();
    for (const variant of [...ORDER].reverse()) {
      const feature = byVariant[variant];
      if (feature) L.geoJSON(feature, { style: STYLES[variant], interactive: false }).addTo(this.lines);
    }
    const highlighted = new Set();
    for (const feature of Object.values(byVariant)) {
      for (const id of feature.properties.cameras || []) highlighted.add(id);
    }
    this.onHighlight([...highlighted]);
    this.drawPassed(collection.passed_cameras || []);

    const table = this.figuresTable(ORDER.filter((variant) => byVariant[variant]), byVariant);
    // The API explains itself in a `notice` (e.g. strict mode fell back to the least watched).
    const notes = [collection.notice]
      .concat(Object.values(byVariant).map((f) => f.properties.notice))
      .filter(Boolean);
    this.drawSnaps(collection.snapped);
    const children = [table];
    const passed = (variant) => byVariant[variant]?.properties.camera_count ?? 0;
    if (passed("avoiding") > passed("shortest")) {
      // More cameras yet less watched reads as the worse route without this.
      const p = document.createElement("p");
      p.className = "route-note";
      p.textContent = gettext(
        "Watched is the length of the walk inside a camera's field of view; a camera passed counts even for a step. The avoiding route crosses more fields of view, each for a shorter stretch.",
      );
      children.push(p);
    }
    for (const note of new Set(notes)) {
      const p = document.createElement("p");
      p.className = "route-note";
      p.textContent = note;
      children.push(p);
    }
    const gpx = document.createElement("a");
    gpx.className = "gpx-link";
    gpx.href = withParams(config.api.routes, { ...params, format: "gpx" });
    gpx.setAttribute("download", "angle-mort-route.gpx");
    gpx.textContent = gettext("Download the avoiding route (GPX)");
    children.push(gpx);
    this.result.replaceChildren(...children);
    const bounds = this.lines.getLayers().length ? L.featureGroup(this.lines.getLayers()).getBounds() : null;
    if (bounds && bounds.isValid()) this.map.fitBounds(bounds, this.fitOptions());
  }

  /** Keep the routes clear of the panel: beside it on a desktop, above it on a phone. */
  fitOptions() {
    const panel = this.section.closest(".panel");
    const map = this.map.getContainer().getBoundingClientRect();
    const box = panel && !panel.hidden ? panel.getBoundingClientRect() : null;
    const right = box && box.left > map.left + 100 ? map.right - box.left : 0;
    const bottom = box && !right ? map.bottom - box.top : 0;
    return {
      paddingTopLeft: [30, 50],
      paddingBottomRight: [right + 30, bottom + 30],
      maxZoom: 18,
    };
  }

  /** The cameras either route passes, at their places ([lon, lat] from the API). */
  drawPassed(cameras) {
    this.passedCameras = cameras;
    this.passed.clearLayers();
    for (const { id, position } of cameras) {
      if (!this.drawsPassed(id)) continue;
      const dot = L.circleMarker([position[1], position[0]], PASSED_STYLE);
      dot.cameraId = id;
      this.passed.addLayer(dot);
    }
  }

  /**
   * Which passed cameras the planner draws itself: those no marker rings (onHighlight
   * rings the markers drawn). All of them while the map shows counts (squares or
   * density); with markers, those not among them (left out by a filter, or by a page
   * cut short).
   */
  showPassed(draws) {
    this.drawsPassed = draws;
    this.drawPassed(this.passedCameras);
  }

  /** Dotted lines from where the person clicked to where the walk starts and ends. */
  drawSnaps(snapped) {
    if (!snapped) return;
    for (const [marker, point] of [
      [this.start, snapped.from],
      [this.end, snapped.to],
    ]) {
      if (!marker || !point) continue;
      L.polyline([marker.getLatLng(), [point[1], point[0]]], {
        color: "#444",
        weight: 2,
        dashArray: "2 4",
        interactive: false,
      }).addTo(this.lines);
    }
  }

  /** One column per route, one row per figure: the two routes compare at a glance. */
  figuresTable(variants, byVariant) {
    const table = document.createElement("table");
    table.className = "route-figures";
    const caption = document.createElement("caption");
    caption.textContent = gettext("The two routes");
    const headRow = document.createElement("tr");
    headRow.append(document.createElement("td"));
    for (const variant of variants) {
      const th = document.createElement("th");
      th.scope = "col";
      th.dataset.variant = variant;
      th.textContent = variant === "avoiding" ? gettext("Avoiding cameras") : gettext("Shortest");
      headRow.append(th);
    }
    const head = document.createElement("thead");
    head.append(headRow);
    const body = document.createElement("tbody");
    for (const [key, term] of [
      ["length", gettext("Length")],
      ["duration", gettext("Walking time")],
      ["detour", gettext("Detour")],
      ["watched", gettext("Watched")],
      ["cameras", gettext("Cameras passed")],
    ]) {
      const row = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = term;
      row.append(th);
      for (const variant of variants) {
        const cell = document.createElement("td");
        cell.dataset.variant = variant;
        cell.dataset.figure = key;
        cell.textContent = this.figure(key, byVariant[variant].properties);
        row.append(cell);
      }
      body.append(row);
    }
    table.append(caption, head, body);
    return table;
  }

  figure(key, props) {
    switch (key) {
      case "length":
        return formatDistance(props.length_m);
      case "duration":
        return formatDuration(props.duration_s);
      case "detour": {
        const detour = Number(props.detour_ratio ?? 1);
        return detour > 1.0005 ? `+${formatNumber((detour - 1) * 100)} %` : gettext("none");
      }
      case "watched":
        return formatDistance(props.exposed_m);
      default:
        return interpolate(ngettext("%(n)s camera", "%(n)s cameras", props.camera_count), {
          n: formatNumber(props.camera_count),
        });
    }
  }

  clear() {
    if (this.abort) this.abort.abort();
    this.lines.clearLayers();
    this.drawPassed([]);
    if (this.start) this.start.remove();
    if (this.end) this.end.remove();
    this.start = null;
    this.end = null;
    this.onHighlight([]);
    this.result.replaceChildren();
    this.step.textContent = gettext("Click the start, then the end of your walk.");
  }
}
