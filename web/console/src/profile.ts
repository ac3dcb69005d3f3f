/** Who is signed in: GET /api/v1/me, loaded once per session and shared by the shell and guards. */
import { ref } from "vue";
import { unwrap, type components } from "@weilinli/shared";
import { api, session } from "./services";

export type Profile = components["schemas"]["ProfileOut"];

export const profile = ref<Profile | null>(null);

export async function loadProfile(force = false): Promise<Profile | null> {
  if (!session.signedIn) {
    profile.value = null;
    return null;
  }
  if (profile.value && !force) return profile.value;
  profile.value = await unwrap(api.GET("/api/v1/me"));
  return profile.value;
}

session.onChange((tokens) => {
  if (tokens === null) profile.value = null;
});
