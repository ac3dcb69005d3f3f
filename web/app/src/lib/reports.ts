import type { components } from "@weilinli/shared";

export type Report = components["schemas"]["reports.ReportOut"];
export type Category = components["schemas"]["reports.CategoryOut"];

export function categoryName(categories: Category[], code: string, locale: string): string {
  const found = categories.find((c) => c.code === code);
  return found ? (found.names[locale] ?? found.names["zh-CN"] ?? code) : code;
}

export const OPEN = new Set(["submitted", "accepted", "assigned", "in_progress", "paused", "reopened"]);
