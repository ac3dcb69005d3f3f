export * from "./api/client";
export * from "./problem";
export * from "./session";
export * from "./idempotency";
export * from "./stream";
export * from "./i18n";
