/** The console's singletons: i18n, the typed API client and the session (web/shared). */
import { createApi, createFaceI18n, currentLocale } from "@weilinli/shared";
import { consoleMessages } from "./locales";

export const i18n = createFaceI18n(consoleMessages);
export const { api, session } = createApi({
  locale: () => currentLocale(i18n),
  storageKey: "weilinli.console.session",
});
