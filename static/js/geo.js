// Small pure geometry helpers. Degrees clockwise from north; distances in metres (WGS 84 sphere).

const EARTH_RADIUS_M = 6371008.8;
const toRad = (deg) => (deg * Math.PI) / 180;
const toDeg = (rad) => (rad * 180) / Math.PI;

/** Initial bearing from one {lat, lng} to another, in [0, 360). */
export function bearing(from, to) {
  const phi1 = toRad(from.lat);
  const phi2 = toRad(to.lat);
  const dLambda = toRad(to.lng - from.lng);
  const y = Math.sin(dLambda) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
  return (toDeg(Math.atan2(y, x)) + 360) % 360;
}

/** The point reached from {lat, lng} after distanceM metres at bearingDeg. */
export function destination(from, bearingDeg, distanceM) {
  const delta = distanceM / EARTH_RADIUS_M;
  const theta = toRad(bearingDeg);
  const phi1 = toRad(from.lat);
  const lambda1 = toRad(from.lng);
  const phi2 = Math.asin(
    Math.sin(phi1) * Math.cos(delta) + Math.cos(phi1) * Math.sin(delta) * Math.cos(theta),
  );
  const lambda2 =
    lambda1 +
    Math.atan2(
      Math.sin(theta) * Math.sin(delta) * Math.cos(phi1),
      Math.cos(delta) - Math.sin(phi1) * Math.sin(phi2),
    );
  return { lat: toDeg(phi2), lng: ((toDeg(lambda2) + 540) % 360) - 180 };
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/**
 * The API's bbox text MINLON,MINLAT,MAXLON,MAXLAT for Leaflet bounds, clamped to the world.
 * When maxAreaDeg2 is given and the view is larger, a box of that area around `centre`
 * ({lat, lng}: the map's own centre; the bounds' middle in degrees if not given) is
 * returned instead, kept inside the bounds, with `clipped` true, so the API never refuses
 * the request. The middle in degrees is not the middle of the map: on a Mercator map of
 * the north it lies far south of it (a view centred on Helsinki at zoom 4 was counted
 * around latitude 48, and showed no camera).
 */
export function bboxForView(bounds, maxAreaDeg2 = null, centre = null) {
  let west = clamp(bounds.getWest(), -180, 180);
  let east = clamp(bounds.getEast(), -180, 180);
  let south = clamp(bounds.getSouth(), -90, 90);
  let north = clamp(bounds.getNorth(), -90, 90);
  let clipped = false;
  const area = (east - west) * (north - south);
  if (maxAreaDeg2 && area > maxAreaDeg2) {
    const scale = Math.sqrt(maxAreaDeg2 / area) * 0.999;
    const halfW = ((east - west) * scale) / 2;
    const halfH = ((north - south) * scale) / 2;
    const cx = clamp(centre ? centre.lng : (west + east) / 2, west + halfW, east - halfW);
    const cy = clamp(centre ? centre.lat : (south + north) / 2, south + halfH, north - halfH);
    [west, east, south, north] = [cx - halfW, cx + halfW, cy - halfH, cy + halfH];
    clipped = true;
  }
  const text = [west, south, east, north].map((v) => v.toFixed(6)).join(",");
  return { text, clipped };
}

// Web Mercator's latitude limit, as in mapping/density/cells.py.
const MAX_MERCATOR_LAT = 85.0511287798066;
// Snapped edges move this far inwards so that, after rounding to 6 decimals, a box never
// reaches into the next tile (a tile is at least 0.0013 degrees wide up to zoom 18).
const SNAP_INSET_DEG = 2e-6;

const tileX = (lon, n) => clamp(Math.floor(((lon + 180) / 360) * n), 0, n - 1);
const tileY = (lat, n) => {
  const phi = toRad(clamp(lat, -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT));
  return clamp(Math.floor(((1 - Math.asinh(Math.tan(phi)) / Math.PI) / 2) * n), 0, n - 1);
};
const tileLon = (x, n) => (x / n) * 360 - 180;
const tileLat = (y, n) => toDeg(Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))));

/**
 * The smallest area made of whole map tiles of `zoom` (256 px each) holding `bounds`, as
 * {west, south, east, north}. Views that differ by less than a tile ask the server the same
 * question, which it can answer from its cache (api/response_cache.py).
 */
export function snapToTiles(bounds, zoom) {
  const n = 2 ** Math.max(0, Math.round(zoom));
  const west = tileX(clamp(bounds.getWest(), -180, 180), n);
  const east = tileX(clamp(bounds.getEast(), -180, 180), n);
  const north = tileY(bounds.getNorth(), n);
  const south = tileY(bounds.getSouth(), n);
  return {
    west: Math.max(-180, tileLon(west, n) + SNAP_INSET_DEG),
    east: Math.min(180, tileLon(east + 1, n) - SNAP_INSET_DEG),
    north: Math.min(90, tileLat(north, n) - SNAP_INSET_DEG),
    south: Math.max(-90, tileLat(south + 1, n) + SNAP_INSET_DEG),
  };
}

/** "LON,LAT" as the routes API wants it. */
export function lonLat(latlng) {
  return `${latlng.lng.toFixed(6)},${latlng.lat.toFixed(6)}`;
}
