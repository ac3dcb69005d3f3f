/**
 * Coordinates: the errand API takes GCJ-02 (the datum of Chinese maps, API.md "Errand"); a browser's
 * geolocation gives WGS-84. `wgs84ToGcj02` is the published GCJ-02 offset (the algorithm every
 * Chinese map SDK uses: eviltransform, gcoord); outside mainland China the two are the same.
 */
const A = 6378245.0; // Krasovsky 1940 semi-major axis, as GCJ-02 defines it
const EE = 0.00669342162296594323;

export interface LatLng {
  lat: number;
  lng: number;
}

export function outOfChina(lat: number, lng: number): boolean {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function offsetLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function offsetLng(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

export function wgs84ToGcj02({ lat, lng }: LatLng): LatLng {
  if (outOfChina(lat, lng)) return { lat, lng };
  let dLat = offsetLat(lng - 105, lat - 35);
  let dLng = offsetLng(lng - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLng = (dLng * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { lat: lat + dLat, lng: lng + dLng };
}

export class LocationProblem extends Error {
  constructor(readonly reason: "unsupported" | "denied" | "unavailable") {
    super(reason);
  }
}

/** The device's position, converted to GCJ-02 for the API. */
export function currentGcj02(timeoutMs = 15000): Promise<LatLng> {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) return reject(new LocationProblem("unsupported"));
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve(wgs84ToGcj02({ lat: pos.coords.latitude, lng: pos.coords.longitude })),
      (err) => reject(new LocationProblem(err.code === err.PERMISSION_DENIED ? "denied" : "unavailable")),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30000 },
    );
  });
}
