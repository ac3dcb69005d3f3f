/**
 * i18n for both faces: vue-i18n in composition mode, zh-CN by default, en and ko (everything a user
 * reads exists in all three). Shared words live in ./locales; each face merges its own messages
 * over them. The chosen language is kept in localStorage, sets <html lang> and is what the API
 * client sends as Accept-Language (so problem titles from the server match the UI).
 */
import { createI18n, type I18n } from "vue-i18n";
import zhCN from "./locales/zh-CN";
import en from "./locales/en";
import ko from "./locales/ko";

export const LOCALES = ["zh-CN", "en", "ko"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-CN";
export const LOCALE_NAMES: Record<Locale, string> = { "zh-CN": "简体中文", en: "English", ko: "한국어" };
const STORAGE_KEY = "weilinli.locale";

export const sharedMessages = { "zh-CN": zhCN, en, ko };
export type SharedMessages = typeof zhCN;

type Tree = { [key: string]: string | Tree };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The stored choice, else the browser's first supported language, else zh-CN. */
export function detectLocale(
  stored: string | null = safeGet(STORAGE_KEY),
  languages: readonly string[] = typeof navigator !== "undefined" ? navigator.languages : [],
): Locale {
  if (isLocale(stored)) return stored;
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
    if (lower.startsWith("ko")) return "ko";
  }
  return DEFAULT_LOCALE;
}

function safeGet(key: string): string | null {
  try {
    return typeof localStorage !== "undefined" ? localStorage.getItem(key) : null;
  } catch {
    return null;
  }
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      typeof value === "object" && typeof current === "object" ? merge(current, value) : value;
  }
  return out;
}

/** Every key path of a message tree ("common.signIn", ...): tests compare the three locales. */
export function keyPaths(tree: Tree, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [`${prefix}${key}`] : keyPaths(value, `${prefix}${key}.`),
  );
}

export function createFaceI18n<M extends Tree>(faceMessages: Record<Locale, M>, locale: Locale = detectLocale()): I18n {
  const messages = Object.fromEntries(
    LOCALES.map((name) => [name, merge(sharedMessages[name] as unknown as Tree, faceMessages[name])]),
  );
  const i18n = createI18n({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages,
    missingWarn: false,
    fallbackWarn: false,
  });
  applyDocumentLocale(locale);
  return i18n as unknown as I18n;
}

export function applyDocumentLocale(locale: Locale): void {
  if (typeof document !== "undefined") document.documentElement.lang = locale;
}

/** Switch the UI language (persisted); the caller's API client reads it per request. */
export function setLocale(i18n: I18n, locale: Locale): void {
  (i18n.global.locale as unknown as { value: string }).value = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    /* not persisted */
  }
  applyDocumentLocale(locale);
}

export function currentLocale(i18n: I18n): Locale {
  const value = (i18n.global.locale as unknown as { value: string }).value;
  return isLocale(value) ? value : DEFAULT_LOCALE;
}
