/** Errand words shared by the resident's and the courier's screens. */
import type { components } from "@weilinli/shared";

export type Order = components["schemas"]["errand.OrderOut"];
export type Quote = components["schemas"]["errand.QuoteOut"];
export type FeedCard = components["schemas"]["errand.FeedCard"];

export const ORDER_TYPES = ["buy", "deliver", "pickup_parcel", "pay_bill", "queue", "home_service"] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const TYPE_ICONS: Record<OrderType, string> = {
  buy: "shopping-cart-o",
  deliver: "logistics",
  pickup_parcel: "gift-o",
  pay_bill: "balance-o",
  queue: "clock-o",
  home_service: "setting-o",
};

/** The order's steps as the resident follows them. */
export const STEPS = ["dispatching", "accepted", "arrived", "picked_up", "delivered", "completed"] as const;

export const ACTIVE = new Set(["dispatching", "accepted", "arrived", "picked_up", "delivered"]);
