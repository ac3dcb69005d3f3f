/**
 * The live notification stream (API.md: POST /me/notifications/stream-ticket, GET /me/notifications/stream).
 *
 * A browser EventSource cannot send an Authorization header, so each connection first gets a
 * single-use ticket and opens `/stream?ticket=`. A ticket is spent once used, so the browser's own
 * reconnect (same URL) would be refused: on any error this closes the EventSource and opens a new
 * one with a new ticket and `last_event_id=<the last notification seen>`, which makes the gateway
 * replay from the inbox what was missed, without a gap or a repeat. Backoff doubles up to 30 s.
 */
export interface Notification {
  id: string;
  event_type: string;
  title: string;
  body: string;
  link: { type: string; id: string } | null;
  created_at: string;
  read_at: string | null;
}

export type StreamState = "connecting" | "open" | "waiting" | "closed";

export interface EventSourceLike {
  readyState: number;
  onerror: ((this: EventSourceLike, ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface StreamOptions {
  /** Resolves a fresh ticket (POST stream-ticket through the API client); null when signed out. */
  ticket: () => Promise<string | null>;
  onNotification: (notification: Notification) => void;
  onState?: (state: StreamState) => void;
  baseUrl?: string;
  lastEventId?: string | null;
  createEventSource?: (url: string) => EventSourceLike;
  maxDelayMs?: number;
}

const STREAM_PATH = "/api/v1/me/notifications/stream";

export class NotificationStream {
  private source: EventSourceLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private stopped = true;
  lastEventId: string | null;

  constructor(private readonly options: StreamOptions) {
    this.lastEventId = options.lastEventId ?? null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.source?.close();
    this.source = null;
    this.options.onState?.("closed");
  }

  /** The URL of the next connection (exported for tests). */
  url(ticket: string): string {
    const query = new URLSearchParams({ ticket });
    if (this.lastEventId) query.set("last_event_id", this.lastEventId);
    return `${this.options.baseUrl ?? ""}${STREAM_PATH}?${query.toString()}`;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.options.onState?.("connecting");
    let ticket: string | null;
    try {
      ticket = await this.options.ticket();
    } catch {
      this.retryLater();
      return;
    }
    if (this.stopped) return;
    if (ticket === null) {
      this.stop();
      return;
    }
    const create = this.options.createEventSource ?? ((url: string) => new EventSource(url) as EventSourceLike);
    const source = create(this.url(ticket));
    this.source = source;
    source.addEventListener("ready", () => {
      this.failures = 0;
      this.options.onState?.("open");
    });
    source.addEventListener("notification", (event: MessageEvent) => {
      if (event.lastEventId) this.lastEventId = event.lastEventId;
      try {
        this.options.onNotification(JSON.parse(String(event.data)) as Notification);
      } catch {
        /* a malformed frame is skipped, the stream goes on */
      }
    });
    source.onerror = () => {
      if (this.source !== source) return;
      source.close();
      this.source = null;
      this.retryLater();
    };
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.options.onState?.("waiting");
    const delay = Math.min(this.options.maxDelayMs ?? 30_000, 1000 * 2 ** this.failures);
    this.failures += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}
