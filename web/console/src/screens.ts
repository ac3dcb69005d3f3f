/**
 * The console's screens: one entry each, a lazy chunk each (`() => import(...)`). The nav shows an
 * entry to people holding one of its `roles`, and the router refuses the others (router.ts).
 * To add a screen: create src/views/<Name>.vue, add an entry here, add `console.nav.<key>` to the
 * three locales.
 */
import type { Component } from "vue";

export const CONSOLE_ROLES = ["property_staff", "property_manager", "committee", "mediator", "admin"] as const;
export type Role = (typeof CONSOLE_ROLES)[number] | "resident" | "courier";

export interface Screen {
  /** Route name and i18n key under console.nav. */
  key: string;
  path: string;
  roles: readonly Role[];
  icon?: string;
  component: () => Promise<Component | { default: Component }>;
}

export const screens: Screen[] = [
  { key: "home", path: "", roles: CONSOLE_ROLES, component: () => import("./views/HomeView.vue") },
  {
    key: "queue",
    path: "reports",
    roles: ["property_staff", "property_manager", "committee"],
    component: () => import("./views/QueueView.vue"),
  },
  {
    key: "supervision",
    path: "supervision",
    roles: ["property_manager", "committee"],
    component: () => import("./views/StatsView.vue"),
  },
  { key: "directory", path: "directory", roles: ["committee", "admin"], component: () => import("./views/DirectoryView.vue") },
  {
    key: "disputes",
    path: "disputes",
    roles: ["mediator", "committee", "property_manager", "admin"],
    component: () => import("./views/DisputesView.vue"),
  },
  {
    key: "deliberations",
    path: "deliberations",
    roles: ["committee", "property_manager", "admin"],
    component: () => import("./views/DeliberationsView.vue"),
  },
  {
    key: "moderation",
    path: "moderation",
    roles: ["mediator", "admin", "committee", "property_manager"],
    component: () => import("./views/ModerationView.vue"),
  },
  { key: "people", path: "people", roles: ["admin", "committee"], component: () => import("./views/PeopleView.vue") },
  { key: "errands", path: "errands", roles: ["committee", "admin"], component: () => import("./views/ErrandsView.vue") },
  { key: "inbox", path: "inbox", roles: CONSOLE_ROLES, component: () => import("./views/InboxView.vue") },
];

export function allowed(screen: Screen, roles: readonly string[]): boolean {
  return screen.roles.some((role) => roles.includes(role));
}

export function hasConsoleAccess(roles: readonly string[]): boolean {
  return CONSOLE_ROLES.some((role) => roles.includes(role));
}
