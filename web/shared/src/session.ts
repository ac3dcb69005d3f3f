/**
 * The signed-in session: access and refresh tokens (API.md: POST /auth/login, /auth/refresh).
 *
 * - The access token is refreshed before it expires and again after a 401, without the user
 *   noticing (api.ts retries the request once with the new token).
 * - Refresh is single-flight: concurrent callers share one POST /auth/refresh. Refresh tokens rotate
 *   and a reused one revokes the whole family (`refresh_reused`), so tabs of one browser must not
 *   race either: under the Web Locks API (where available) each refresh re-reads storage first and
 *   takes a pair another tab just obtained instead of spending the old refresh token again.
 * - A refresh the server refuses (401) ends the session: `onChange` listeners see `null`.
 */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type?: string;
  expires_in: number;
}

export interface Claims {
  sub: string;
  community_id?: string;
  roles?: string[];
  household_id?: string | null;
  building?: string | null;
  exp?: number;
  [claim: string]: unknown;
}

export interface SessionStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SessionOptions {
  /** Where the pair is kept; each face has its own key so the console and app sessions differ. */
  storageKey: string;
  store?: SessionStore;
  /** POSTs /api/v1/auth/refresh; resolves the new pair, null when refused (session over). */
  refresh: (refreshToken: string) => Promise<TokenResponse | null>;
  /** Refresh this long before expiry (ms). */
  leewayMs?: number;
  now?: () => number;
}

export class SessionExpired extends Error {
  constructor() {
    super("session expired");
    this.name = "SessionExpired";
  }
}

function memoryStore(): SessionStore {
  const data = new Map<string, string>();
  return {
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

export function tokensFrom(response: TokenResponse, now: number): Tokens {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    expiresAt: now + response.expires_in * 1000,
  };
}

/** The claims of a JWT, read without verifying (the gateway verifies; this is for display only). */
export function decodeClaims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    return JSON.parse(json) as Claims;
  } catch {
    return null;
  }
}

type Listener = (tokens: Tokens | null) => void;

export class Session {
  private readonly store: SessionStore;
  private readonly leewayMs: number;
  private readonly now: () => number;
  private inflight: Promise<string | null> | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly options: SessionOptions) {
    this.store = options.store ?? (typeof localStorage !== "undefined" ? localStorage : memoryStore());
    this.leewayMs = options.leewayMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get tokens(): Tokens | null {
    const raw = this.store.getItem(this.options.storageKey);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Tokens;
    } catch {
      return null;
    }
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  get claims(): Claims | null {
    const tokens = this.tokens;
    return tokens ? decodeClaims(tokens.accessToken) : null;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keep the pair a sign-in (or registration, WeChat login) returned. */
  signIn(response: TokenResponse): void {
    this.save(tokensFrom(response, this.now()));
  }

  signOut(): void {
    this.store.removeItem(this.options.storageKey);
    this.emit(null);
  }

  /** A valid access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    const tokens = this.tokens;
    if (!tokens) return null;
    if (tokens.expiresAt - this.leewayMs > this.now()) return tokens.accessToken;
    return this.refresh(tokens.accessToken);
  }

  /**
   * A new access token. `rejected` is the access token the server just refused (or found stale):
   * when the stored token already differs, someone refreshed meanwhile and that one is returned.
   */
  refresh(rejected?: string): Promise<string | null> {
    if (!this.inflight) {
      this.inflight = this.locked(() => this.refreshNow(rejected)).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async refreshNow(rejected?: string): Promise<string | null> {
    const tokens = this.tokens; // re-read: another tab may have refreshed while we waited
    if (!tokens) return null;
    const fresh = tokens.expiresAt - this.leewayMs > this.now();
    if (rejected !== undefined && tokens.accessToken !== rejected && fresh) return tokens.accessToken;
    const response = await this.options.refresh(tokens.refreshToken);
    if (!response) {
      this.signOut();
      return null;
    }
    const next = tokensFrom(response, this.now());
    this.save(next);
    return next.accessToken;
  }

  private async locked<T>(work: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    if (!locks) return work();
    return locks.request(`weilinli.refresh.${this.options.storageKey}`, work);
  }

  private save(tokens: Tokens): void {
    this.store.setItem(this.options.storageKey, JSON.stringify(tokens));
    this.emit(tokens);
  }

  private emit(tokens: Tokens | null): void {
    for (const listener of this.listeners) listener(tokens);
  }
}
