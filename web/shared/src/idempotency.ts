/**
 * Idempotency-Key for actions that create something (an order, a payment, a report): one key per
 * user action, kept across every retry of that action — also across a page reload while it is
 * pending — and forgotten once the server has given a definite answer. So a request retried after
 * a dropped connection never creates twice (issue 14, "Offline and flaky networks").
 */
export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const PREFIX = "weilinli.idem.";

export function newKey(): string {
  return crypto.randomUUID();
}

function memoryStore(): KeyStore {
  const data = new Map<string, string>();
  return {
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

function defaultStore(): KeyStore {
  try {
    if (typeof sessionStorage !== "undefined") return sessionStorage;
  } catch {
    /* storage blocked: keys live as long as the page */
  }
  return memoryStore();
}

export class IdempotencyKeys {
  constructor(private readonly store: KeyStore = defaultStore()) {}

  /** The key of this action (e.g. `order:create:<draft id>`): the same until settle(). */
  keyFor(action: string): string {
    const stored = this.store.getItem(PREFIX + action);
    if (stored) return stored;
    const key = newKey();
    this.store.setItem(PREFIX + action, key);
    return key;
  }

  /** The server answered for good (success or a refusal): the next attempt is a new action. */
  settle(action: string): void {
    this.store.removeItem(PREFIX + action);
  }
}

export const idempotencyKeys = new IdempotencyKeys();

export interface RetryOptions {
  attempts?: number;
  /** Milliseconds before the n-th retry (n from 1). */
  delay?: (attempt: number) => number;
  keys?: IdempotencyKeys;
}

/**
 * Run `send(key)` with the action's key; when it throws (no answer) or answers a retryable status,
 * try again with the SAME key. Settles the key on any other answer. Returns the last outcome;
 * throws the last error when every attempt failed without an answer.
 */
export async function withIdempotency<T extends { response?: Response }>(
  action: string,
  send: (key: string) => Promise<T>,
  { attempts = 3, delay = (n) => 300 * 2 ** (n - 1), keys = idempotencyKeys }: RetryOptions = {},
): Promise<T> {
  const key = keys.keyFor(action);
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delay(attempt)));
    try {
      const outcome = await send(key);
      const status = outcome.response?.status ?? 200;
      const retryable = status === 502 || status === 503 || status === 504;
      if (!retryable || attempt === attempts - 1) {
        if (!retryable) keys.settle(action);
        return outcome;
      }
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
