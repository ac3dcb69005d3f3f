import { describe, expect, it } from "vitest";
import { createI18n } from "vue-i18n";
import { keyPaths } from "@weilinli/shared";
import { appMessages } from "../src/locales";

// Every message must compile in vue-i18n's syntax: a bare "@" (linked message) or "|" (plural) in a
// string breaks it at run time in the browser, not at build time.
describe("app messages", () => {
  it.each(Object.keys(appMessages))("all compile in %s", (locale) => {
    const errors: unknown[] = [];
    // Typed loosely: the full message tree makes vue-i18n's key types too deep for tsc.
    const i18n: { global: { t: (key: string, named: Record<string, unknown>) => string } } = createI18n({
      legacy: false,
      locale,
      messages: appMessages as never,
      warnHtmlMessage: false,
      missingWarn: false,
      fallbackWarn: false,
    }) as never;
    const original = console.error;
    const warn = console.warn;
    console.error = (...args: unknown[]) => void errors.push(args);
    console.warn = (...args: unknown[]) => void errors.push(args);
    try {
      for (const key of keyPaths(appMessages[locale as keyof typeof appMessages])) {
        const text = i18n.global.t(key, { name: "N", n: 1, need: 2, m: 3, from: "A", to: "B", price: "¥1", amount: "¥1", time: "T", choice: "C", yes: 1, no: 0, abstain: 0 });
        expect(text, key).not.toBe(key);
      }
    } finally {
      console.error = original;
      console.warn = warn;
    }
    expect(errors).toEqual([]);
  });
});
