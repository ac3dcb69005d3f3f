import { describe, expect, it, vi } from "vitest";
import { detectLocale, keyPaths, NotificationStream, sharedMessages, type EventSourceLike } from "../src";

class FakeSource implements EventSourceLike {
  readyState = 0;
  onerror: EventSourceLike["onerror"] = null;
  closed = false;
  listeners = new Map<string, (event: MessageEvent) => void>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown, lastEventId = "") {
    this.listeners.get(type)?.(new MessageEvent(type, { data: JSON.stringify(data), lastEventId }));
  }
}

describe("NotificationStream", () => {
  it("opens with a fresh ticket and, after an error, reconnects with a new ticket and last_event_id", async () => {
    vi.useFakeTimers();
    const sources: FakeSource[] = [];
    let n = 0;
    const received: string[] = [];
    const stream = new NotificationStream({
      ticket: async () => `ticket-${++n}`,
      onNotification: (item) => received.push(item.id),
      createEventSource: (url) => {
        const source = new FakeSource(url);
        sources.push(source);
        return source;
      },
    });
    stream.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sources[0]?.url).toBe("/api/v1/me/notifications/stream?ticket=ticket-1");
    sources[0]?.emit("ready", {});
    sources[0]?.emit("notification", { id: "n-1" }, "n-1");
    sources[0]?.onerror?.call(sources[0], new Event("error"));
    expect(sources[0]?.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sources[1]?.url).toBe("/api/v1/me/notifications/stream?ticket=ticket-2&last_event_id=n-1");
    expect(received).toEqual(["n-1"]);
    stream.stop();
    vi.useRealTimers();
  });
});

describe("i18n", () => {
  it("defaults to zh-CN and follows a stored choice or the browser", () => {
    expect(detectLocale(null, [])).toBe("zh-CN");
    expect(detectLocale(null, ["ko-KR", "en"])).toBe("ko");
    expect(detectLocale("en", ["zh-TW"])).toBe("en");
  });

  it("has every shared message in zh-CN, en and ko", () => {
    const zh = keyPaths(sharedMessages["zh-CN"]);
    expect(keyPaths(sharedMessages.en)).toEqual(zh);
    expect(keyPaths(sharedMessages.ko)).toEqual(zh);
  });
});
