// Add a camera: a position (map click, device position or map centre), directions set by
// dragging arrows on the map, type and mount chosen by pictures, photos with previews, then
// POST /api/submissions/ (kind=new). The answer says it waits for moderation, with warnings.
import { ApiError, postForm } from "./api.js";
import { config } from "./config.js";
import { photoPosition } from "./exif.js";
import { fillChoices } from "./filters.js";
import { bearing, destination } from "./geo.js";
import { formatNumber, gettext, interpolate } from "./i18n.js";
import { keepInView, visibleCentre } from "./visible.js";

const L = window.L;
const HANDLE_DISTANCE_PX = 70;
const TYPE_ATTRIBUTES = {
  fixed: { "surveillance:type": "camera", "camera:type": "fixed" },
  dome: { "surveillance:type": "camera", "camera:type": "dome" },
  panning: { "surveillance:type": "camera", "camera:type": "panning" },
  guard: { "surveillance:type": "guard" },
  alpr: { "surveillance:type": "alpr" },
  unknown: { "surveillance:type": "camera" },
};

function metresPerPixel(map, lat) {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / 2 ** (map.getZoom() + 8);
}

/** The OSM-vocabulary attributes the form describes (see mapping/submission_attributes.py). */
export function attributesFromForm(form, directions) {
  const data = new FormData(form);
  const attributes = { ...TYPE_ATTRIBUTES[data.get("type") || "unknown"] };
  const put = (key, value) => {
    if (value !== null && value !== undefined && String(value).trim() !== "") {
      attributes[key] = String(value).trim();
    }
  };
  put("camera:mount", data.get("mount"));
  put("surveillance", data.get("surveillance"));
  put("operator", data.get("operator"));
  put("height", data.get("height"));
  const capabilities = data.getAll("capability");
  if (capabilities.length) attributes.capabilities = capabilities.join(";");
  if (directions.length) {
    attributes["camera:direction"] = directions.map((d) => Math.round(d)).join(";");
  }
  return attributes;
}

// The API's warnings carry a code and a message in the request's language; known codes are
// said in the page's own words, unknown ones fall back to the server's.
const WARNING_TEXTS = {
  fixed_without_direction: gettext(
    "A fixed camera looks one way: add its direction so its field of view can be drawn.",
  ),
  height_out_of_range: gettext("This height is unusual for a camera: please check it."),
  indoor_on_street: gettext(
    "Marked indoor, but placed on a street outside any building: is it outdoor or public?",
  ),
  possible_duplicate: gettext(
    "A camera is already mapped very close: is it the same one? Then confirm it instead.",
  ),
};

function describeWarning(warning) {
  if (typeof warning === "string") return warning;
  return WARNING_TEXTS[warning.code] || warning.message || JSON.stringify(warning);
}

function suggestedLatLng(suggestion) {
  if (!suggestion) return null;
  if (Array.isArray(suggestion.coordinates)) {
    return L.latLng(suggestion.coordinates[1], suggestion.coordinates[0]);
  }
  if ("lat" in suggestion && ("lon" in suggestion || "lng" in suggestion)) {
    return L.latLng(suggestion.lat, suggestion.lon ?? suggestion.lng);
  }
  return null;
}

export class AddCamera {
  constructor(map, section, { onSelectCamera }) {
    this.map = map;
    this.section = section;
    this.form = section.querySelector("#add-form");
    fillChoices(this.form); // the capability boxes, from the server's list
    this.locationText = section.querySelector(".add-location");
    this.directionList = section.querySelector(".direction-list");
    this.previews = section.querySelector(".photo-previews");
    this.result = section.querySelector(".add-result");
    this.onSelectCamera = onSelectCamera;
    this.layer = L.layerGroup();
    this.marker = null;
    this.directions = [];
    this.active = false;

    section.querySelector('[data-action="add-here"]').addEventListener("click", () => this.useDevicePosition());
    section
      .querySelector('[data-action="add-centre"]')
      .addEventListener("click", () => this.setLocation(visibleCentre(this.map)));
    section.querySelector('[data-action="add-direction"]').addEventListener("click", () => this.addDirection());
    this.form.elements.photos.addEventListener("change", () => this.showPreviews());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  activate() {
    this.active = true;
    this.layer.addTo(this.map);
    this.map.getContainer().style.cursor = "crosshair";
  }

  deactivate() {
    this.active = false;
    this.layer.remove();
    this.map.getContainer().style.cursor = "";
  }

  /** A map click while this tool is open places (or moves) the camera. */
  handleMapClick(latlng) {
    if (this.active) this.setLocation(latlng);
  }

  useDevicePosition() {
    if (!navigator.geolocation) {
      this.locationText.textContent = gettext("This browser cannot give your position.");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        this.map.setView(latlng, Math.max(this.map.getZoom(), 18));
        keepInView(this.map, latlng);
        this.setLocation(latlng);
      },
      () => {
        this.locationText.textContent = gettext("Your position is not available; click the map instead.");
      },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  }

  setLocation(latlng) {
    if (!this.marker) {
      this.marker = L.marker(latlng, {
        draggable: true,
        keyboard: true,
        title: gettext("The new camera (drag to move)"),
        alt: gettext("The new camera"),
      }).addTo(this.layer);
      this.marker.on("drag", () => this.moveHandles());
      this.marker.on("dragend", () => this.showLocation());
    } else {
      this.marker.setLatLng(latlng);
    }
    this.moveHandles();
    this.showLocation();
  }

  showLocation() {
    const { lat, lng } = this.marker.getLatLng();
    this.locationText.textContent = interpolate(gettext("Position: %(lat)s, %(lon)s"), {
      lat: lat.toFixed(6),
      lon: lng.toFixed(6),
    });
  }

  handlePosition(bearingDeg) {
    const centre = this.marker.getLatLng();
    const distance = HANDLE_DISTANCE_PX * metresPerPixel(this.map, centre.lat);
    return destination(centre, bearingDeg, distance);
  }

  addDirection(bearingDeg = null) {
    if (!this.marker) this.setLocation(visibleCentre(this.map));
    const used = this.directions.length;
    const initial = bearingDeg ?? (used * 90) % 360;
    const icon = L.divIcon({
      className: "direction-handle",
      html: `<img src="${config.directionIcon}" alt="">`,
      iconSize: [32, 32],
      iconAnchor: [16, 16],
    });
    const entry = { bearing: initial };
    entry.line = L.polyline([], { color: "#1f4e79", weight: 3, dashArray: "4 4", interactive: false }).addTo(
      this.layer,
    );
    entry.handle = L.marker(this.handlePosition(initial), {
      icon,
      draggable: true,
      title: gettext("Drag to set where this camera looks"),
    }).addTo(this.layer);
    entry.handle.on("drag", () => {
      entry.bearing = bearing(this.marker.getLatLng(), entry.handle.getLatLng());
      this.drawDirection(entry, false);
    });
    entry.handle.on("dragend", () => this.drawDirection(entry, true));

    const item = document.createElement("li");
    const label = document.createElement("label");
    label.className = "inline";
    entry.input = document.createElement("input");
    entry.input.type = "number";
    entry.input.min = "0";
    entry.input.max = "359";
    entry.input.step = "1";
    entry.input.addEventListener("change", () => {
      if (entry.input.value.trim() === "") {
        // Emptied: the direction stays what it was (Number("") is 0, which turned it north).
        entry.input.value = String(Math.round(entry.bearing));
        return;
      }
      const value = Number(entry.input.value);
      if (Number.isFinite(value)) {
        entry.bearing = ((value % 360) + 360) % 360;
        this.drawDirection(entry, true);
      }
    });
    label.append(gettext("Degrees from north"), entry.input);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = gettext("Remove");
    remove.addEventListener("click", () => this.removeDirection(entry));
    item.append(label, remove);
    entry.item = item;
    this.directionList.append(item);
    this.directions.push(entry);
    this.drawDirection(entry, true);
  }

  /** Redraw a direction; `snapHandle` puts the handle back at its fixed distance. */
  drawDirection(entry, snapHandle) {
    const centre = this.marker.getLatLng();
    if (snapHandle) entry.handle.setLatLng(this.handlePosition(entry.bearing));
    entry.line.setLatLngs([centre, entry.handle.getLatLng()]);
    entry.input.value = String(Math.round(entry.bearing) % 360);
    const img = entry.handle.getElement()?.querySelector("img");
    if (img) img.style.transform = `rotate(${entry.bearing}deg)`;
  }

  moveHandles() {
    for (const entry of this.directions) this.drawDirection(entry, true);
  }

  removeDirection(entry) {
    entry.line.remove();
    entry.handle.remove();
    entry.item.remove();
    this.directions = this.directions.filter((other) => other !== entry);
  }

  showPreviews() {
    for (const img of this.previews.querySelectorAll("img")) URL.revokeObjectURL(img.src);
    this.previews.replaceChildren();
    const files = [...this.form.elements.photos.files];
    for (const file of files.slice(0, config.maxPhotos)) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = interpolate(gettext("Preview of %(name)s"), { name: file.name });
      const item = document.createElement("li");
      // Not an image the browser can show (the server will say why): a name, not a broken icon.
      img.addEventListener("error", () => {
        item.className = "hint";
        item.textContent = interpolate(gettext("%(name)s: no preview (is it a photo?)"), {
          name: file.name,
        });
      });
      item.append(img);
      this.previews.append(item);
    }
    this.offerPhotoPosition(files.slice(0, config.maxPhotos));
    if (files.length > config.maxPhotos) {
      const item = document.createElement("li");
      item.className = "hint";
      item.textContent = interpolate(gettext("Only the first %(n)s photos will be sent."), {
        n: config.maxPhotos,
      });
      this.previews.append(item);
    }
  }

  /** Where the first photo that says so was taken, offered as the camera's place (not
   * applied: it is where the photographer stood, often a few metres off). */
  async offerPhotoPosition(files) {
    const offer = this.section.querySelector(".photo-position");
    offer.replaceChildren();
    offer.hidden = true;
    for (const file of files) {
      const position = await photoPosition(file);
      if (!position) continue;
      if (this.form.elements.photos.files[0] !== files[0]) return; // other photos chosen since
      const text = document.createElement("p");
      text.className = "hint";
      text.textContent = interpolate(
        gettext("%(name)s carries the place where it was taken: %(lat)s, %(lon)s."),
        { name: file.name, lat: position.lat.toFixed(6), lon: position.lng.toFixed(6) },
      );
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = gettext("Place the camera there");
      button.addEventListener("click", () => {
        const latlng = L.latLng(position.lat, position.lng);
        if (!this.map.getBounds().contains(latlng)) this.map.panTo(latlng, { animate: false });
        this.setLocation(latlng);
        keepInView(this.map, latlng);
      });
      offer.append(text, button);
      offer.hidden = false;
      return;
    }
  }

  buildFormData() {
    const { lat, lng } = this.marker.getLatLng();
    const data = new FormData();
    data.append("kind", "new");
    data.append("location", JSON.stringify({ type: "Point", coordinates: [lng, lat] }));
    const attributes = attributesFromForm(
      this.form,
      this.directions.map((d) => d.bearing),
    );
    data.append("attributes", JSON.stringify(attributes));
    for (const name of ["note", "pseudonym"]) {
      const value = this.form.elements[name].value.trim();
      if (value) data.append(name, value);
    }
    for (const file of [...this.form.elements.photos.files].slice(0, config.maxPhotos)) {
      data.append("photos", file, file.name);
    }
    return data;
  }

  async submit() {
    if (!this.marker) {
      this.showError(gettext("Place the camera first: click the map where it is."));
      return;
    }
    const button = this.form.querySelector('button[type="submit"]');
    button.disabled = true;
    this.result.className = "add-result";
    this.result.textContent = gettext("Sending…");
    try {
      const answer = await postForm(config.api.submissions, this.buildFormData());
      this.clearFieldErrors();
      this.showAnswer(answer);
      this.resetAfterSuccess();
    } catch (error) {
      const lines = error instanceof ApiError ? error.fieldMessages() : [];
      this.showError(error.message, lines);
      if (error instanceof ApiError) this.markFields(error.body.errors || {});
    } finally {
      button.disabled = false;
    }
  }

  showError(message, lines = []) {
    this.clearFieldErrors();
    this.result.className = "add-result result-error";
    this.result.replaceChildren(document.createTextNode(message));
    if (lines.length > 1) {
      const list = document.createElement("ul");
      for (const line of lines) {
        const item = document.createElement("li");
        item.textContent = line;
        list.append(item);
      }
      this.result.append(list);
    }
    // On a phone the sheet ends above the summary: bring it into sight.
    this.result.scrollIntoView({ block: "nearest" });
  }

  /** The form's element an API error field stands for ("attributes" errors name the tag). */
  fieldElement(field, message) {
    const elements = this.form.elements;
    if (field === "location") return this.locationText;
    if (field === "attributes") {
      const key = String(message).split(":")[0].trim();
      if (["height", "operator"].includes(key)) return elements[key];
      if (key.includes("direction")) return this.directionList.closest("fieldset");
      if (key.includes("capabilit")) return this.form.querySelector("fieldset.capabilities");
      if (key.includes("mount")) return this.form.querySelector('[data-picture-group="mount"]');
      if (key === "surveillance") return elements.surveillance?.[0]?.closest("fieldset");
      return this.form.querySelector('[data-picture-group="type"]');
    }
    const element = elements[field];
    return element instanceof RadioNodeList ? element[0]?.closest("fieldset") : element;
  }

  /** Each message beside what it is about, marked invalid; the first one takes the focus. */
  markFields(errors) {
    let first = null;
    for (const [field, messages] of Object.entries(errors)) {
      for (const message of Array.isArray(messages) ? messages : [messages]) {
        const element = this.fieldElement(field, message);
        if (!element) continue;
        const note = document.createElement("p");
        note.className = "field-error";
        note.id = `add-error-${this.section.querySelectorAll(".field-error").length + 1}`;
        note.textContent = String(message);
        const holder = element.closest("label") || element;
        holder.after(note);
        element.setAttribute("aria-invalid", "true");
        element.setAttribute("aria-describedby", note.id);
        first = first || element;
      }
    }
    if (first) {
      if (first.matches("input, select, textarea")) first.focus();
      first.scrollIntoView({ block: "center" });
    }
  }

  clearFieldErrors() {
    for (const note of this.section.querySelectorAll(".field-error")) note.remove();
    for (const element of this.section.querySelectorAll("[aria-invalid]")) {
      element.removeAttribute("aria-invalid");
      element.removeAttribute("aria-describedby");
    }
  }

  showAnswer(answer) {
    this.result.className = "add-result result-ok";
    const heading = document.createElement("p");
    heading.className = "pending";
    heading.textContent = interpolate(
      gettext("Thank you. Your camera (report %(id)s) is pending moderation; it appears on the map once a moderator approves it."),
      { id: answer.id ?? "" },
    );
    this.result.replaceChildren(heading);
    const warnings = answer.warnings || [];
    if (warnings.length) {
      const title = document.createElement("p");
      title.textContent = gettext("Please check:");
      const list = document.createElement("ul");
      list.className = "warnings";
      for (const warning of warnings) {
        const item = document.createElement("li");
        item.textContent = describeWarning(warning);
        list.append(item);
      }
      this.result.append(title, list);
    }
    const duplicates = answer.duplicate_candidates || [];
    if (duplicates.length) {
      const list = document.createElement("ul");
      list.className = "duplicates";
      for (const candidate of duplicates) {
        const id = typeof candidate === "object" ? candidate.id : candidate;
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = interpolate(gettext("Possible duplicate: camera %(id)s"), { id });
        button.addEventListener("click", () => this.onSelectCamera(id));
        item.append(button);
        list.append(item);
      }
      this.result.append(list);
    }
    const suggestion = suggestedLatLng(answer.suggested_location);
    if (suggestion) {
      const note = document.createElement("p");
      note.textContent = interpolate(
        gettext("Your photo carried a position (%(lat)s, %(lon)s). It was not stored; the marker shows it."),
        { lat: formatNumber(suggestion.lat, 6), lon: formatNumber(suggestion.lng, 6) },
      );
      L.circleMarker(suggestion, { radius: 7, color: "#1f4e79", dashArray: "3 3" }).addTo(this.layer);
      this.result.append(note);
    }
  }

  resetAfterSuccess() {
    for (const entry of [...this.directions]) this.removeDirection(entry);
    if (this.marker) {
      this.marker.remove();
      this.marker = null;
    }
    for (const img of this.previews.querySelectorAll("img")) URL.revokeObjectURL(img.src);
    this.previews.replaceChildren();
    this.form.elements.photos.value = "";
    this.form.elements.note.value = "";
    const offer = this.section.querySelector(".photo-position");
    offer.replaceChildren();
    offer.hidden = true;
    this.locationText.textContent = this.locationText.dataset.empty;
  }
}
