// What a street-level view asks first: its markers, or how many cameras its area holds.
//
// Markers are drawn where the area loaded around the view holds at most config.markerLimit
// cameras, counted in squares elsewhere (main.js). Most views hold far fewer, and a page of
// markers says how many the area holds (its `count`): asking for the markers straight away
// costs those views one request instead of a count and then the markers. Only where the
// area may hold more than the limit is the count asked first, as a few kilobytes of stored
// sums, rather than a page of markers thrown away.

// The first page of markers, when nothing tells how many cameras an area holds, is the
// list endpoint's default page (config.firstPageSize, API_PAGE_SIZE: 500), about 100 kB of
// markers (210 bytes each; 1 kB with the fields of view drawn from config.fovMinZoom). It
// answers alone for an area of up to that many cameras; a larger one costs one request
// more (CameraLayer.load); a crowded one wastes it once, and the next views around it are
// counted first (`crowdedBefore`).

/**
 * The first question of a street-level view whose markers are not loaded.
 *
 * @param known the cameras of the area to load, when squares drawn already tell them
 *   (density.countFrom), else null
 * @param crowdedBefore the last street-level view with these filters showed squares
 * @returns {{count: true}} to ask the count first, or {{markers: {firstPageSize, limit}}}
 *   to ask for the markers (CameraLayer.load), which gives up after the first page when
 *   its count is over `limit`
 */
export function firstQuestion({ known, crowdedBefore, markerLimit, pageSize, firstPageSize }) {
  if (known !== null) {
    // The count is known already: the markers in as few pages as possible, or none.
    return known > markerLimit ? { count: true } : { markers: { firstPageSize: pageSize } };
  }
  if (crowdedBefore) return { count: true };
  return {
    markers: { firstPageSize: Math.min(firstPageSize, markerLimit, pageSize), limit: markerLimit },
  };
}
