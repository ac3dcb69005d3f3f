import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// Unit tests of the three packages (`npm test` here; `python3 dev.py test` runs them too).
export default defineConfig({
  plugins: [vue()],
  test: {
    environment: "happy-dom",
    include: ["shared/tests/**/*.test.ts", "console/tests/**/*.test.ts", "app/tests/**/*.test.ts"],
  },
});
