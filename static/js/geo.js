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
 * When maxAreaDeg2 is given and the view is larger, a box of that area around the view's
 * centre is returned instead, with `clipped` true, so the API never refuses the request.
 */
export function bboxForView(bounds, maxAreaDeg2 = null) {
  let west = clamp(bounds.getWest(), -180, 180);
  let east = clamp(bounds.getEast(), -180, 180);
  let south = clamp(bounds.getSouth(), -90, 90);
  let north = clamp(bounds.getNorth(), -90, 90);
  let clipped = false;
  const area = (east - west) * (north - south);
  if (maxAreaDeg2 && area > maxAreaDeg2) {
    const scale = Math.sqrt(maxAreaDeg2 / area) * 0.999;
    const cx = (west + east) / 2;
    const cy = (south + north) / 2;
    const halfW = ((east - west) * scale) / 2;
    const halfH = ((north - south) * scale) / 2;
    [west, east, south, north] = [cx - halfW, cx + halfW, cy - halfH, cy + halfH];
    clipped = true;
  }
  const text = [west, south, east, north].map((v) => v.toFixed(6)).join(",");
  return { text, clipped };
}

/** "LON,LAT" as the routes API wants it. */
export function lonLat(latlng) {
  return `${latlng.lng.toFixed(6)},${latlng.lat.toFixed(6)}`;
}
