import { describe, expect, it, vi } from "vitest";
import { createApi, Session, type TokenResponse } from "../src";

function memory() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
}

const pair = (n: number, expiresIn = 900): TokenResponse => ({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, expires_in: expiresIn });

describe("Session", () => {
  it("refreshes once for concurrent callers (single flight)", async () => {
    let now = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const refresh = vi.fn(async (token: string) => {
      await gate;
      return token === "refresh-1" ? pair(2) : null;
    });
    const session = new Session({ storageKey: "s", store: memory(), refresh, now: () => now });
    session.signIn(pair(1, 60));
    now = 45_000; // inside the 30 s leeway: the next caller refreshes first
    const all = Promise.all([session.accessToken(), session.accessToken(), session.refresh("access-1")]);
    release();
    expect(await all).toEqual(["access-2", "access-2", "access-2"]);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(session.tokens?.refreshToken).toBe("refresh-2");
  });

  it("does not spend the refresh token again when another caller already renewed", async () => {
    const refresh = vi.fn(async () => pair(3));
    const session = new Session({ storageKey: "s", store: memory(), refresh });
    session.signIn(pair(2));
    expect(await session.refresh("access-1")).toBe("access-2");
    expect(refresh).not.toHaveBeenCalled();
  });

  it("signs out when the refresh is refused", async () => {
    const session = new Session({ storageKey: "s", store: memory(), refresh: async () => null });
    const seen: unknown[] = [];
    session.onChange((tokens) => seen.push(tokens));
    session.signIn(pair(1));
    expect(await session.refresh("access-1")).toBeNull();
    expect(session.signedIn).toBe(false);
    expect(seen.at(-1)).toBeNull();
  });
});

describe("createApi", () => {
  it("sends the token and language, and on a 401 refreshes once and replays the request with its body", async () => {
    localStorage.clear();
    const seen: { url: string; auth: string | null; lang: string | null; body: string }[] = [];
    const fetchMock = vi.fn(async (request: Request) => {
      const body = await request.text();
      seen.push({ url: new URL(request.url).pathname, auth: request.headers.get("Authorization"), lang: request.headers.get("Accept-Language"), body });
      if (request.url.endsWith("/api/v1/auth/refresh")) return Response.json(pair(2));
      if (request.headers.get("Authorization") === "Bearer access-1") {
        return Response.json({ code: "token_expired", title: "过期", status: 401 }, { status: 401 });
      }
      return Response.json({ id: "x" }, { status: 201 });
    });
    const { api, session } = createApi({ baseUrl: "http://gw", locale: () => "ko", storageKey: "t", fetch: fetchMock as unknown as typeof fetch });
    session.signIn(pair(1));
    const result = await api.POST("/api/v1/me/household-claims", { body: { building: "1", unit: "1", room: "101", real_name: "王" } as never });
    expect(result.response.status).toBe(201);
    expect(seen.map((s) => [s.url, s.auth])).toEqual([
      ["/api/v1/me/household-claims", "Bearer access-1"],
      ["/api/v1/auth/refresh", null],
      ["/api/v1/me/household-claims", "Bearer access-2"],
    ]);
    expect(seen[2]?.body).toBe(seen[0]?.body);
    expect(seen.every((s) => s.lang === "ko")).toBe(true);
  });
});
