/**
 * The shell's live state shared with screens: notifications from the stream (the queue listens for
 * new reports), the unread count behind the bell and whether the browser is online.
 */
import { ref } from "vue";
import type { Notification } from "@weilinli/shared";

type Listener = (notification: Notification) => void;
const listeners = new Set<Listener>();

export const unread = ref(0);
export const online = ref(typeof navigator === "undefined" ? true : navigator.onLine);

if (typeof window !== "undefined") {
  window.addEventListener("online", () => (online.value = true));
  window.addEventListener("offline", () => (online.value = false));
}

/** Called by the shell for every notification the stream delivers. */
export function publish(notification: Notification): void {
  if (!notification.read_at) unread.value += 1;
  for (const listener of listeners) listener(notification);
}

/** Subscribe (a screen, in onMounted); returns the unsubscribe for onBeforeUnmount. */
export function onLive(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
