/** Money and times as people read them: ¥ with two decimals from fen; local date and time. */
export function yuan(fen: number | null | undefined): string {
  return `¥${((fen ?? 0) / 100).toFixed(2)}`;
}

export function when(iso: string | null | undefined, locale: string): string {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(locale === "zh-CN" ? "zh-CN" : locale === "ko" ? "ko-KR" : "en-GB", {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
