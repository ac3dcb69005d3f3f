/**
 * One notification stream for the signed-in app (web/shared NotificationStream): screens watch
 * `lastNotification` (an order's progress, a report's step) to refresh at once, and the inbox counts
 * `unread`. Started by the tab shell, stopped on sign-out.
 */
import { ref } from "vue";
import { NotificationStream, unwrap, type Notification } from "@weilinli/shared";
import { api, session } from "../services";

export const lastNotification = ref<Notification | null>(null);
export const unread = ref(0);
export const arrived = ref<Notification[]>([]);

let stream: NotificationStream | null = null;

export function startLive(): void {
  if (stream) return;
  stream = new NotificationStream({
    ticket: async () =>
      session.signedIn ? (await unwrap(api.POST("/api/v1/me/notifications/stream-ticket"))).ticket : null,
    onNotification: (n) => {
      lastNotification.value = n;
      arrived.value = [n, ...arrived.value.filter((x) => x.id !== n.id)];
      unread.value += 1;
    },
  });
  stream.start();
}

export function stopLive(): void {
  stream?.stop();
  stream = null;
  arrived.value = [];
  unread.value = 0;
}

session.onChange((tokens) => {
  if (tokens === null) stopLive();
});
