/**
 * The app's bottom tabs: one entry each, a lazy chunk each. `roles` (optional) limits a tab to
 * residents or couriers. To add a tab: src/views/<Name>View.vue, an entry here, `app.tabs.<key>` in
 * the three locales. Screens reached from a tab (an order, a report) are child routes in router.ts.
 */
import type { Component } from "vue";

export interface Tab {
  key: string;
  path: string;
  /** A Vant icon name (bundled icon font, no CDN). */
  icon: string;
  roles?: readonly string[];
  component: () => Promise<Component | { default: Component }>;
}

export const tabs: Tab[] = [
  { key: "home", path: "", icon: "home-o", component: () => import("./views/HomeView.vue") },
  { key: "repairs", path: "repairs", icon: "setting-o", component: () => import("./views/RepairsView.vue") },
  { key: "forum", path: "forum", icon: "chat-o", component: () => import("./views/ForumView.vue") },
  { key: "courier", path: "courier", icon: "logistics", roles: ["courier"], component: () => import("./views/CourierView.vue") },
  { key: "me", path: "me", icon: "user-o", component: () => import("./views/MeView.vue") },
];

export function visibleTabs(roles: readonly string[]): Tab[] {
  return tabs.filter((tab) => !tab.roles || tab.roles.some((role) => roles.includes(role)));
}
