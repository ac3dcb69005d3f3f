import { describe, expect, it } from "vitest";
import { wgs84ToGcj02 } from "../src/lib/geo";

// Known WGS-84 -> GCJ-02 pairs (the reference tables of eviltransform and its ports).
const KNOWN: [number, number, number, number][] = [
  [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215], // Shanghai
  [22.543847, 113.912316, 22.540796131694766, 113.9171764808363], // Shenzhen
  [39.911954, 116.377817, 39.91334545536069, 116.38404722455657], // Beijing
];

describe("WGS-84 to GCJ-02", () => {
  it.each(KNOWN)("converts (%f, %f) as the map SDKs do", (lat, lng, gcjLat, gcjLng) => {
    const out = wgs84ToGcj02({ lat, lng });
    expect(out.lat).toBeCloseTo(gcjLat, 7);
    expect(out.lng).toBeCloseTo(gcjLng, 7);
  });

  it("leaves points outside China as they are", () => {
    expect(wgs84ToGcj02({ lat: 51.5007, lng: -0.1246 })).toEqual({ lat: 51.5007, lng: -0.1246 });
  });

  it("moves a Beijing point by a few hundred metres, not more", () => {
    const out = wgs84ToGcj02({ lat: 39.9087, lng: 116.3975 });
    const dy = (out.lat - 39.9087) * 111320;
    const dx = (out.lng - 116.3975) * 111320 * Math.cos((39.9087 * Math.PI) / 180);
    expect(Math.hypot(dx, dy)).toBeGreaterThan(300);
    expect(Math.hypot(dx, dy)).toBeLessThan(800);
  });
});
