/** Small presentation helpers shared by the screens. */
import type { components } from "@weilinli/shared";

export type Category = components["schemas"]["reports.CategoryOut"];
export type Report = components["schemas"]["reports.ReportOut"];

export const OPEN_STATUSES = ["submitted", "accepted", "assigned", "in_progress", "paused", "reopened"] as const;
export const ALL_STATUSES = [...OPEN_STATUSES, "resolved", "closed", "rejected", "cancelled"] as const;

export function categoryName(categories: Map<string, Category>, code: string, locale: string): string {
  const names = categories.get(code)?.names;
  return names?.[locale] ?? names?.["zh-CN"] ?? code;
}

/** The SLA deadline that matters now: acceptance before accepted, resolution after. */
export function dueAt(report: Pick<Report, "status" | "accepted_at" | "due_accept_at" | "due_resolve_at">): string | null {
  if (!(OPEN_STATUSES as readonly string[]).includes(report.status)) return null;
  if (report.status === "submitted") return report.due_accept_at ?? null;
  return report.due_resolve_at ?? null;
}

export type SlaLevel = "ok" | "amber" | "red" | "none";

/** Red once past due, amber within the last quarter of the window or the last 2 hours. */
export function slaLevel(due: string | null, submittedAt: string, now: number): SlaLevel {
  if (!due) return "none";
  const end = Date.parse(due);
  const left = end - now;
  if (left <= 0) return "red";
  const window = end - Date.parse(submittedAt);
  return left <= Math.max(window / 4, 0) || left <= 2 * 3600_000 ? "amber" : "ok";
}

/** "3h 20m" / "-1d 2h" (negative: overdue by). */
export function countdown(due: string | null, now: number): string {
  if (!due) return "—";
  let seconds = Math.round((Date.parse(due) - now) / 1000);
  const sign = seconds < 0 ? "-" : "";
  seconds = Math.abs(seconds);
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${sign}${d}d ${h}h`;
  if (h > 0) return `${sign}${h}h ${m}m`;
  return `${sign}${m}m`;
}

export function when(iso: string | null | undefined, locale: string): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(locale, { dateStyle: "short", timeStyle: "short" });
}

/** Download a Response body as a file (CSV exports). */
export async function download(response: Response, filename: string): Promise<void> {
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
