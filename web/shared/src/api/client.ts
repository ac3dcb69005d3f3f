/**
 * The typed API client: openapi-fetch over the gateway's merged OpenAPI (schema.d.ts is generated
 * from ../../openapi.json by `npm run gen:api`; scripts/export_openapi.py writes that file).
 *
 *   const { data, error } = await api.GET("/api/v1/me");
 *   const { data } = await api.POST("/api/v1/errand/orders", { body, headers: { "Idempotency-Key": key } });
 *
 * Every request carries the session's access token and the UI's language (Accept-Language, so
 * problem titles come back localised). A 401 on a request that carried a token is answered by one
 * refresh (single-flight, see session.ts) and one retry; a refused refresh signs the user out.
 * Same origin as the API (DESIGN.md §9): the base URL is "" and there are no cookies.
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema";
import { Session, type TokenResponse } from "../session";
import { ApiProblem, toProblem } from "../problem";

export type { paths, components, operations } from "./schema";
export type Api = Client<paths>;

const REFRESH_PATH = "/api/v1/auth/refresh";

export interface ApiOptions {
  baseUrl?: string;
  /** The UI language for Accept-Language (a function: it changes at run time). */
  locale: () => string;
  /** localStorage key of this face's session. */
  storageKey: string;
  fetch?: typeof fetch;
}

export interface ApiContext {
  api: Api;
  session: Session;
}

export function createApi({ baseUrl = "", locale, storageKey, fetch: baseFetch }: ApiOptions): ApiContext {
  const rawFetch = (input: Request): Promise<Response> => (baseFetch ?? globalThis.fetch)(input);

  async function refreshCall(refreshToken: string): Promise<TokenResponse | null> {
    const response = await rawFetch(
      new Request(`${baseUrl}${REFRESH_PATH}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept-Language": locale() },
        body: JSON.stringify({ refresh_token: refreshToken }),
      }),
    );
    if (response.status === 401 || response.status === 403 || response.status === 422) return null;
    if (!response.ok) throw new Error(`refresh failed: HTTP ${response.status}`);
    return (await response.json()) as TokenResponse;
  }

  const session = new Session({ storageKey, refresh: refreshCall });

  async function authFetch(request: Request): Promise<Response> {
    const isAuthRoute = new URL(request.url, "http://x").pathname.startsWith("/api/v1/auth/");
    const replay = request.clone();
    request.headers.set("Accept-Language", locale());
    const token = isAuthRoute && !request.url.endsWith("/auth/logout") ? null : await session.accessToken();
    if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
    const response = await rawFetch(request);
    if (response.status !== 401 || !token) return response;
    const renewed = await session.refresh(token);
    if (!renewed) return response;
    replay.headers.set("Accept-Language", locale());
    replay.headers.set("Authorization", `Bearer ${renewed}`);
    return rawFetch(replay);
  }

  const api = createClient<paths>({ baseUrl, fetch: authFetch });
  return { api, session };
}

/**
 * The data of an openapi-fetch result, or throw its ApiProblem (title/detail localised by the server).
 *   const me = await unwrap(api.GET("/api/v1/me"));
 */
export async function unwrap<D>(
  pending: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  let result: { data?: D; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (cause) {
    throw new ApiProblem(0, { code: "network", title: "", detail: String(cause) });
  }
  if (result.response.ok) return result.data as D;
  throw toProblem(result.response, result.error);
}
