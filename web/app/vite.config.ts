import { fileURLToPath, URL } from "node:url";
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Served by the gateway at /app/ (services/gateway/src/gateway/api/web.py); `npm run dev` proxies
// the API to a gateway on :8000 (python3 dev.py run).
export default defineConfig({
  base: "/app/",
  plugins: [vue()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  define: { __VUE_PROD_DEVTOOLS__: false, __VUE_OPTIONS_API__: true },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // .vite/manifest.json: the chunk graph, read by scripts/web_budget.py for the first-load budget.
    manifest: true,
    target: "es2020",
    rollupOptions: { output: { manualChunks: { vue: ["vue", "vue-router", "vue-i18n"] } } },
  },
});
