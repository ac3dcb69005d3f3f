import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { session } from "./services";
import { loadProfile } from "./profile";
import { allowed, screens } from "./screens";

const routes: RouteRecordRaw[] = [
  { path: "/sign-in", name: "sign-in", component: () => import("./views/SignInView.vue"), meta: { public: true } },
  {
    path: "/",
    component: () => import("./views/ShellView.vue"),
    children: [
      ...screens.map((screen) => ({
        path: screen.path,
        name: screen.key,
        component: screen.component,
        meta: { screen },
      })),
      { path: ":rest(.*)*", name: "not-found", component: () => import("./views/NotFoundView.vue") },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.signedIn) return { name: "sign-in", query: { next: to.fullPath } };
  const me = await loadProfile().catch(() => null);
  if (!me) return { name: "sign-in", query: { next: to.fullPath } };
  const screen = to.meta.screen as (typeof screens)[number] | undefined;
  if (screen && !allowed(screen, me.roles)) return { name: "home" };
  return true;
});

session.onChange((tokens) => {
  if (tokens === null && router.currentRoute.value.name !== "sign-in") void router.push({ name: "sign-in" });
});
