// The part of the map the panel leaves in sight. On a phone the panel is a bottom sheet over
// half the map, beside it a side panel: what someone just chose (a camera, the place of a
// new one, a route end) must not end up under it.

const L = window.L;

/** The largest part of the map's container (in container pixels) the open panel leaves free. */
function freeBox(map) {
  const size = map.getSize();
  const whole = L.bounds([0, 0], [size.x, size.y]);
  const panel = document.getElementById("panel");
  if (!panel || panel.hidden) return whole;
  const mapBox = map.getContainer().getBoundingClientRect();
  const box = panel.getBoundingClientRect();
  const clampX = (x) => Math.min(size.x, Math.max(0, x));
  const clampY = (y) => Math.min(size.y, Math.max(0, y));
  const [left, right] = [clampX(box.left - mapBox.left), clampX(box.right - mapBox.left)];
  const [top, bottom] = [clampY(box.top - mapBox.top), clampY(box.bottom - mapBox.top)];
  if (left >= right || top >= bottom) return whole; // the panel is beside the map
  const free = [
    L.bounds([0, 0], [size.x, top]), // above a bottom sheet
    L.bounds([0, bottom], [size.x, size.y]),
    L.bounds([0, 0], [left, size.y]), // beside a side panel
    L.bounds([right, 0], [size.x, size.y]),
  ];
  const area = (b) => (b.max.x - b.min.x) * (b.max.y - b.min.y);
  return free.reduce((best, b) => (area(b) > area(best) ? b : best));
}

/** The map position at the middle of what the panel leaves in sight. */
export function visibleCentre(map) {
  return map.containerPointToLatLng(freeBox(map).getCenter());
}

/** Pan the map, if needed, so that latlng is in sight beside the panel. */
export function keepInView(map, latlng) {
  const free = freeBox(map);
  const point = map.latLngToContainerPoint(latlng);
  if (free.contains(point)) return;
  map.panBy(point.subtract(free.getCenter()), { animate: false });
}
