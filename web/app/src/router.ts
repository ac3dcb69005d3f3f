import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { session } from "./services";
import { loadProfile } from "./profile";
import { tabs } from "./tabs";
import { isChunkError, online } from "./lib/network";
// The first screen a visitor sees is in the entry chunk: on a 3G phone a lazy chunk (and its dozen
// small Vant pieces over 6 connections) would cost another round of requests (bench/app_fast3g.py).
import SignInView from "./views/SignInView.vue";

/** Screens reached from a tab (a child of the shell, so the tab bar stays). */
const screens: RouteRecordRaw[] = [
  { path: "errand/new/:type", component: () => import("./views/ErrandNewView.vue") },
  { path: "errand/orders/:id", component: () => import("./views/OrderView.vue") },
  { path: "courier/orders/:id", component: () => import("./views/CourierOrderView.vue") },
  { path: "repairs/new", component: () => import("./views/RepairNewView.vue") },
  { path: "repairs/:id", component: () => import("./views/RepairView.vue") },
  { path: "forum/new", component: () => import("./views/ThreadNewView.vue") },
  { path: "forum/threads/:id", component: () => import("./views/ThreadView.vue") },
  { path: "forum/deliberations/:id", component: () => import("./views/DeliberationView.vue") },
  { path: "notifications", component: () => import("./views/NotificationsView.vue") },
  { path: "me/household", component: () => import("./views/HouseholdClaimView.vue") },
  { path: "me/courier", component: () => import("./views/CourierApplyView.vue") },
];

const routes: RouteRecordRaw[] = [
  { path: "/sign-in", name: "sign-in", component: SignInView, meta: { public: true } },
  { path: "/register", name: "register", component: () => import("./views/RegisterView.vue"), meta: { public: true } },
  {
    path: "/",
    component: () => import("./views/TabsShell.vue"),
    children: [
      ...tabs.map((tab) => ({ path: tab.path, name: tab.key, component: tab.component, meta: { tab } })),
      ...screens,
      { path: ":rest(.*)*", name: "not-found", component: () => import("./views/NotFoundView.vue") },
    ],
  },
];

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.signedIn) return { name: "sign-in", query: { next: to.fullPath } };
  const me = await loadProfile().catch(() => null);
  if (!me) return { name: "sign-in", query: { next: to.fullPath } };
  return true;
});

session.onChange((tokens) => {
  if (tokens === null && router.currentRoute.value.name !== "sign-in") void router.push({ name: "sign-in" });
});

// A screen's chunk that could not be loaded (offline): stay where we are and show the offline banner;
// the navigation (from a tab, a link, a button) resolves instead of rejecting with nobody to catch it.
router.onError((error) => {
  if (isChunkError(error)) online.value = false;
});
for (const method of ["push", "replace"] as const) {
  const original = router[method].bind(router);
  router[method] = (to) =>
    original(to).catch((error: unknown) => {
      if (isChunkError(error)) return undefined;
      throw error;
    });
}
