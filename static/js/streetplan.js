// What a street-level view asks first: its markers, or how many cameras its area holds.
//
// Markers are drawn where the area loaded around the view holds at most config.markerLimit
// cameras, counted in squares elsewhere (main.js). The count comes first, from the stored
// per-cell sums (a few kilobytes), then the markers in one page where they fit; unless the
// density squares drawn already tell the count (density.countFrom): a zoom in from the
// density map to street level then asks for the markers, or the squares, straight away.
//
// Asking for a first page of markers before the count, that page's `count` deciding,
// spares the count's request where an area holds few cameras, but costs the server more
// at scale: crowded areas fetch a page of markers for nothing and areas of more than a
// page fetch it twice. On the 2.5-million-camera benchmark set (2026-12-04) the load test
// of map readers looking somewhere new (docs/benchmarks.md, docs/api.md) had a p99 of
// 894 ms that way, against 144-224 ms with the count first.

/**
 * The first question of a street-level view whose markers are not loaded.
 *
 * @param known the cameras of the area to load, when squares drawn already tell them
 *   (density.countFrom), else null
 * @returns {{count: true}} to ask the count first, or {{markers: true}} to ask for the
 *   markers (CameraLayer.load)
 */
export function firstQuestion({ known, markerLimit }) {
  if (known === null || known > markerLimit) return { count: true };
  return { markers: true };
}
