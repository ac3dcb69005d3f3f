/**
 * "Are we online?" for the offline banner: the browser's navigator.onLine and its online/offline
 * events, plus what fetch itself tells us — a request that got no answer marks the app offline (a
 * captive portal or a dead Wi-Fi still says onLine), any answer marks it online again.
 */
import { ref } from "vue";

export const online = ref(typeof navigator === "undefined" ? true : navigator.onLine);

export function watchNetwork(target: Window = window): void {
  target.addEventListener("online", () => (online.value = true));
  target.addEventListener("offline", () => (online.value = false));
  const original = target.fetch.bind(target);
  target.fetch = async (...args: Parameters<typeof fetch>) => {
    try {
      const response = await original(...args);
      online.value = true;
      return response;
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "AbortError")) online.value = false;
      throw error;
    }
  };
}

/** A lazy screen that cannot be fetched (no network): say so in the banner instead of failing silently. */
export function watchChunkErrors(target: Window = window): void {
  target.addEventListener("vite:preloadError", (event) => {
    event.preventDefault();
    online.value = false;
  });
}

export function isChunkError(error: unknown): boolean {
  const text = String(error instanceof Error ? error.message : error);
  return /dynamically imported module|Importing a module script failed|preload|Couldn't resolve component/i.test(text);
}
