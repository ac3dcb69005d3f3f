import { describe, expect, it } from "vitest";
import { countdown, dueAt, slaLevel } from "../src/format";
import { allowed, screens } from "../src/screens";

const HOUR = 3600_000;
const t0 = Date.parse("2026-12-03T08:00:00+08:00");
const iso = (ms: number) => new Date(ms).toISOString();

describe("SLA countdowns", () => {
  it("count down to acceptance before a report is accepted, to resolution after", () => {
    const report = { status: "submitted", accepted_at: null, due_accept_at: iso(t0 + 4 * HOUR), due_resolve_at: iso(t0 + 48 * HOUR) };
    expect(dueAt(report)).toBe(report.due_accept_at);
    expect(dueAt({ ...report, status: "in_progress" })).toBe(report.due_resolve_at);
    expect(dueAt({ ...report, status: "resolved" })).toBeNull();
  });

  it("turn amber in the last quarter of the window (or the last 2 hours) and red once past due", () => {
    const submitted = iso(t0);
    const due = iso(t0 + 48 * HOUR);
    expect(slaLevel(due, submitted, t0 + 1 * HOUR)).toBe("ok");
    expect(slaLevel(due, submitted, t0 + 37 * HOUR)).toBe("amber");
    expect(slaLevel(iso(t0 + 4 * HOUR), submitted, t0 + 2.5 * HOUR)).toBe("amber");
    expect(slaLevel(due, submitted, t0 + 49 * HOUR)).toBe("red");
    expect(slaLevel(null, submitted, t0)).toBe("none");
  });

  it("write the time left, or overdue by, in days, hours and minutes", () => {
    expect(countdown(iso(t0 + 3 * HOUR + 20 * 60_000), t0)).toBe("3h 20m");
    expect(countdown(iso(t0 - 26 * HOUR), t0)).toBe("-1d 2h");
    expect(countdown(iso(t0 + 5 * 60_000), t0)).toBe("5m");
    expect(countdown(null, t0)).toBe("—");
  });
});

describe("screens by role", () => {
  const visible = (roles: string[]) => screens.filter((s) => allowed(s, roles)).map((s) => s.key);
  it("show each role its own work", () => {
    expect(visible(["resident", "property_staff"])).toEqual(["home", "queue", "inbox"]);
    expect(visible(["mediator"])).toEqual(["home", "disputes", "moderation", "inbox"]);
    expect(visible(["committee"])).toContain("supervision");
    expect(visible(["admin"])).toContain("people");
    expect(visible(["admin"])).not.toContain("queue");
  });
});
