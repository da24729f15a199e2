// The position a JPEG photo carries (its EXIF GPS tags), read in the browser before anything
// is sent: the add form offers it while the camera is still being placed. The server strips
// it from the stored photo either way (mapping/photos.py); only JPEG is read here (a phone's
// HEIC keeps the server's suggestion, given after sending).

const GPS_IFD_POINTER = 0x8825;
const RATIONAL = 5;
const READ_BYTES = 256 * 1024; // EXIF sits in the first segment, at most 64 kB

/** {lat, lng} of a JPEG file's GPS tags, or null (no tags, not a JPEG, unreadable). */
export async function photoPosition(file) {
  if (!file || !/^image\/(jpeg|pjpeg)$/.test(file.type)) return null;
  const buffer = await file.slice(0, READ_BYTES).arrayBuffer();
  try {
    return gpsOfJpeg(new DataView(buffer));
  } catch {
    return null; // a DataView read past the end: cut or malformed metadata
  }
}

/** The GPS position in a JPEG's APP1 Exif segment, or null. */
export function gpsOfJpeg(view) {
  if (view.getUint16(0) !== 0xffd8) return null;
  let offset = 2;
  while (offset + 4 <= view.byteLength) {
    const marker = view.getUint16(offset);
    if (marker >> 8 !== 0xff || marker === 0xffda) return null; // no marker, or the image data
    const length = view.getUint16(offset + 2);
    if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966 && view.getUint16(offset + 8) === 0) {
      return gpsOfTiff(view, offset + 10); // "Exif\0\0", then a TIFF structure
    }
    offset += 2 + length;
  }
  return null;
}

function gpsOfTiff(view, tiff) {
  const little = view.getUint16(tiff) === 0x4949; // "II": little-endian, "MM": big
  const u16 = (at) => view.getUint16(tiff + at, little);
  const u32 = (at) => view.getUint32(tiff + at, little);
  /** The entries of the directory at `ifd`: tag -> {type, count, at (of the value field)}. */
  const entries = (ifd) => {
    const found = new Map();
    for (let i = 0; i < u16(ifd); i += 1) {
      const at = ifd + 2 + 12 * i;
      found.set(u16(at), { type: u16(at + 2), count: u32(at + 4), at: at + 8 });
    }
    return found;
  };
  const pointer = entries(u32(4)).get(GPS_IFD_POINTER);
  if (!pointer) return null;
  const gps = entries(u32(pointer.at));
  const ref = (tag) => (gps.has(tag) ? String.fromCharCode(view.getUint8(tiff + gps.get(tag).at)) : "");
  const degrees = (tag) => {
    const entry = gps.get(tag);
    if (!entry || entry.type !== RATIONAL || entry.count !== 3) return null;
    const values = [0, 1, 2].map((k) => {
      const at = u32(entry.at) + 8 * k;
      const denominator = u32(at + 4);
      return denominator ? u32(at) / denominator : NaN;
    });
    return values[0] + values[1] / 60 + values[2] / 3600;
  };
  const lat = degrees(2);
  const lng = degrees(4);
  if (lat === null || lng === null || !Number.isFinite(lat) || !Number.isFinite(lng)) return null;
  const position = { lat: ref(1) === "S" ? -lat : lat, lng: ref(3) === "W" ? -lng : lng };
  const plausible = Math.abs(position.lat) <= 90 && Math.abs(position.lng) <= 180;
  return plausible && (position.lat !== 0 || position.lng !== 0) ? position : null;
}
