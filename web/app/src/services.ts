/** The app's singletons: i18n, the typed API client and the session (web/shared). */
import { createApi, createFaceI18n, currentLocale } from "@weilinli/shared";
import { appMessages } from "./locales";

export const i18n = createFaceI18n(appMessages);
export const { api, session } = createApi({
  locale: () => currentLocale(i18n),
  storageKey: "weilinli.app.session",
});
