// Export links: the cameras of the current view with the current filters, as GeoJSON or CSV.
import { withParams } from "./api.js";
import { config } from "./config.js";
import { gettext, interpolate } from "./i18n.js";

export function exportUrls(bbox, filters) {
  const params = { ...filters, status: "active", in_bbox: bbox };
  return {
    geojson: withParams(config.api.exportGeojson, params),
    csv: withParams(config.api.exportCsv, params),
  };
}

export function updateExportLinks(section, bbox, filters) {
  const urls = exportUrls(bbox, filters);
  for (const link of section.querySelectorAll("[data-export]")) {
    link.href = urls[link.dataset.export];
  }
  const scope = section.querySelector(".export-scope");
  const filterCount = Object.keys(filters).length;
  scope.textContent = interpolate(
    filterCount
      ? gettext("Area %(bbox)s (west, south, east, north), with your filters.")
      : gettext("Area %(bbox)s (west, south, east, north), all cameras."),
    { bbox },
  );
}
