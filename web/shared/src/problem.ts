/**
 * Errors as users see them. Every API error is problem+json (DESIGN.md §5) with a stable `code` and a
 * `title`/`detail` already in the user's language (the client sends Accept-Language): show those, never a
 * stack. A request that got no answer at all becomes a problem too (`network`), worded by our i18n.
 */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  request_id?: string | null;
  errors?: { loc?: (string | number)[]; msg?: string; type?: string; field?: string }[];
  [extra: string]: unknown;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly requestId: string | null;
  readonly body: ProblemBody;

  constructor(status: number, body: ProblemBody) {
    const title = body.title ?? `HTTP ${status}`;
    super(body.detail ? `${title}: ${body.detail}` : title);
    this.name = "ApiProblem";
    this.status = status;
    this.code = body.code ?? (status === 0 ? "network" : `http_${status}`);
    this.title = title;
    this.detail = body.detail ?? "";
    this.requestId = body.request_id ?? null;
    this.body = body;
  }

  /** True when trying the same action again may succeed (no answer, overload, upstream down). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** The problem for a request that never got an answer; title/detail come from our own messages. */
export function networkProblem(title: string, detail: string): ApiProblem {
  return new ApiProblem(0, { title, detail, code: "network", status: 0 });
}

/** Build an ApiProblem from a failed response's parsed body (problem+json, or anything else). */
export function toProblem(response: Response, body: unknown, fallbackTitle?: string): ApiProblem {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const problem = body as ProblemBody;
    if (typeof problem.title === "string" || typeof problem.code === "string") {
      return new ApiProblem(response.status, problem);
    }
  }
  return new ApiProblem(response.status, { title: fallbackTitle ?? response.statusText ?? `HTTP ${response.status}` });
}

export function isProblem(value: unknown): value is ApiProblem {
  return value instanceof ApiProblem;
}

/**
 * Anything caught around an API call, as the problem to show: server problems as they are (already
 * localised), no answer at all as our own localised "network" problem. `t` is vue-i18n's.
 */
export function asProblem(error: unknown, t: (key: string) => string): ApiProblem {
  if (error instanceof ApiProblem && error.status !== 0) return error;
  return networkProblem(t("problem.networkTitle"), t("problem.networkDetail"));
}
