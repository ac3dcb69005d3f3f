/**
 * Large-text mode (适老化, issue 14): body text >= 18 px and touch targets >= 44 px on every screen.
 * A class on <html> switches Vant's CSS variables and our own (style.css); the choice is kept in
 * localStorage and applied before the first paint (main.ts).
 */
import { ref, watch } from "vue";

const KEY = "weilinli.app.largeText";
const CLASS = "large-text";

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) === "1";
  } catch {
    return false;
  }
}

export const largeText = ref(stored());

export function applyLargeText(on: boolean): void {
  document.documentElement.classList.toggle(CLASS, on);
}

watch(largeText, (on) => {
  applyLargeText(on);
  try {
    localStorage.setItem(KEY, on ? "1" : "0");
  } catch {
    /* not persisted */
  }
});
