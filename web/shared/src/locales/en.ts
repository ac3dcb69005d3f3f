export default {
  common: {
    appName: "WeiLinli",
    signIn: "Sign in",
    signOut: "Sign out",
    phone: "Phone number",
    password: "Password",
    phonePlaceholder: "Your phone number",
    passwordPlaceholder: "Your password",
    language: "Language",
    loading: "Loading…",
    retry: "Try again",
    empty: "Nothing here yet",
    notifications: "Notifications",
    offline: "You are offline. We will try again when the connection is back.",
  },
  problem: {
    networkTitle: "No connection",
    networkDetail: "The server could not be reached. Check your connection and try again.",
    required: "Please fill this in",
  },
};
