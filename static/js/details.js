// The camera panel: attributes, photos and provenance from /api/cameras/{id}/, and the two
// quick reports residents make most: "still here" (confirm) and "no longer here" (removed).
import { ApiError, getJSON, postForm } from "./api.js";
import { iconType, colourFor } from "./cameras.js";
import { choiceLabel, config } from "./config.js";
import { formatDate, formatNumber, gettext, interpolate } from "./i18n.js";

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function definitionList(rows) {
  const list = element("dl");
  for (const [term, value] of rows) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) {
      continue;
    }
    list.append(element("dt", {}, term), element("dd", {}, value));
  }
  return list;
}

function osmLink(props) {
  const url =
    props.osm_url ||
    (props.source === "osm" && props.osm_type && props.osm_id
      ? `https://www.openstreetmap.org/${props.osm_type}/${props.osm_id}`
      : null);
  if (!url) return null;
  const label = props.osm_type && props.osm_id ? `${props.osm_type}/${props.osm_id}` : url;
  return element("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, label);
}

function photoList(photos) {
  if (!photos || !photos.length) return null;
  const list = element("ul", { class: "camera-photos" });
  for (const photo of photos) {
    const full = photo.image || photo.url || photo.image_url;
    const thumbnail = photo.thumbnail || photo.thumbnail_url || full;
    const img = element("img", { src: thumbnail, alt: gettext("Photo of the camera"), loading: "lazy" });
    // In a new tab: following it in this one left the map, and the view with it.
    const link = full && element("a", { href: full, target: "_blank", rel: "noopener" }, img);
    list.append(element("li", {}, link || img));
  }
  return list;
}

/** Render a camera Feature from the detail endpoint into the panel. */
export function renderCamera(container, feature) {
  const props = feature.properties || {};
  const type = iconType(props);
  const kind = choiceLabel("surveillance_type", props.surveillance_type);
  // The type's label is lowercase, to be read inside sentences; a title starts upper case.
  const title =
    props.name || (kind && kind.charAt(0).toLocaleUpperCase() + kind.slice(1)) || gettext("Surveillance device");
  const icon = element("img", { src: config.icons[type], alt: "" });
  icon.style.background = colourFor(props);
  const directions = (props.directions || []).map((d) => `${formatNumber(d)}°`).join(", ");
  const attributes = definitionList([
    [gettext("Kind"), choiceLabel("surveillance_type", props.surveillance_type)],
    [gettext("Camera type"), choiceLabel("camera_type", props.camera_type)],
    [gettext("Watches"), choiceLabel("surveillance", props.surveillance)],
    [gettext("Zone"), props.zone],
    [gettext("Mounted on"), choiceLabel("mount", props.mount)],
    [gettext("Directions"), directions],
    [gettext("Height"), props.height ? `${formatNumber(props.height, 1)} m` : null],
    [gettext("Tilt"), props.tilt !== null && props.tilt !== undefined ? `${formatNumber(props.tilt)}°` : null],
    [gettext("Operator"), props.operator],
    [gettext("Operator type"), props.operator_type],
    [
      gettext("Capabilities"),
      (props.capabilities || []).map((c) => choiceLabel("capability", c)).join(", "),
    ],
    [gettext("Vendor"), props.vendor],
    [gettext("Reference"), props.ref],
  ]);
  const provenance = definitionList([
    [gettext("Source"), choiceLabel("source", props.source)],
    [gettext("OpenStreetMap"), osmLink(props)],
    [gettext("Version"), props.osm_version ? String(props.osm_version) : null],
    [gettext("First seen"), formatDate(props.first_seen)],
    [gettext("Last seen in the data"), formatDate(props.last_seen)],
    [gettext("Last checked"), formatDate(props.last_checked || props.check_date) || gettext("never")],
    [gettext("Confirmations"), formatNumber(props.confirmations || 0)],
  ]);
  const parts = [
    element("div", { class: "camera-head" }, icon, element("h3", {}, title)),
    attributes,
    photoList(props.photos),
    element("h3", {}, gettext("Provenance")),
    provenance,
  ];
  container.replaceChildren(...parts.filter(Boolean));
}

export class CameraPanel {
  constructor(section) {
    this.section = section;
    this.details = section.querySelector(".camera-details");
    this.result = section.querySelector(".camera-report-result");
    this.cameraId = null;
    this.buttons = [...section.querySelectorAll("[data-report]")];
    // Cameras reported during this visit: one report each, not one per click (five
    // confirmations in a row all waited for the moderators, and could be approved).
    this.reported = new Map();
    for (const button of this.buttons) {
      button.addEventListener("click", () => this.report(button.dataset.report, button));
    }
  }

  async show(id) {
    this.cameraId = id;
    this.result.textContent = this.reported.get(id) ?? "";
    this.result.className = this.reported.has(id)
      ? "camera-report-result result-ok"
      : "camera-report-result";
    for (const button of this.buttons) button.disabled = this.reported.has(id);
    this.details.textContent = gettext("Loading…");
    try {
      const feature = await getJSON(`${config.api.cameras}${encodeURIComponent(id)}/`);
      if (this.cameraId === id) renderCamera(this.details, feature);
    } catch (error) {
      this.details.textContent = error.message;
    }
  }

  /** kind is "confirm" or "removed"; the report waits for a moderator like any other. */
  async report(kind, button) {
    const cameraId = this.cameraId;
    if (cameraId === null || this.reported.has(cameraId)) return;
    const form = new FormData();
    form.append("kind", kind);
    form.append("camera", String(cameraId));
    for (const each of this.buttons) each.disabled = true;
    try {
      const answer = await postForm(config.api.submissions, form);
      const thanks = interpolate(
        kind === "confirm"
          ? gettext("Thank you: your confirmation (report %(id)s) is pending moderation.")
          : gettext("Thank you: your report (%(id)s) that it is gone is pending moderation."),
        { id: answer.id ?? "" },
      );
      this.reported.set(cameraId, thanks);
      if (this.cameraId !== cameraId) return;
      this.result.className = "camera-report-result result-ok";
      this.result.textContent = thanks;
    } catch (error) {
      for (const each of this.buttons) each.disabled = false;
      if (this.cameraId !== cameraId) return;
      this.result.className = "camera-report-result result-error";
      this.result.textContent =
        error instanceof ApiError ? [error.message, ...error.fieldMessages().slice(1)].join(" · ") : String(error);
    }
  }
}
