import { fileURLToPath, URL } from "node:url";
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import type { Plugin } from "vite";
import { gzipSync } from "node:zlib";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

// Vant's icon font is bundled (a woff2 data URL) but its @font-face also names a woff on
// at.alicdn.com as a fallback, which Chromium fetches: nothing may come from a CDN (DESIGN.md §9),
// so that fallback is cut from the CSS at build time (tests/browser assert no other host is hit).
function noCdnFonts(): Plugin {
  const cdnFallback = /,\s*url\((?:https?:)?\/\/at\.alicdn\.com\/[^)]*\)\s*format\(["']?woff["']?\)/g;
  return {
    name: "weilinli-no-cdn-fonts",
    enforce: "pre",
    transform(code, id) {
      if (!id.includes("vant") || !id.split("?")[0]!.endsWith(".css")) return null;
      return { code: code.replace(cdnFallback, ""), map: null };
    },
  };
}

// Each JS and CSS asset also as `<name>.gz` (gzip -9): the gateway sends it to browsers that take gzip
// (gateway.api.web), so a phone on 3G downloads about a third of the bytes (bench/app_fast3g.py).
function precompress(): Plugin {
  return {
    name: "weilinli-precompress",
    apply: "build",
    writeBundle(options, bundle) {
      const dir = options.dir ?? "dist";
      for (const [name, item] of Object.entries(bundle)) {
        if (!/\.(js|css)$/.test(name)) continue;
        const source = item.type === "chunk" ? item.code : item.source;
        writeFileSync(join(dir, `${name}.gz`), gzipSync(source, { level: 9 }));
      }
    },
  };
}

// Served by the gateway at /app/ (services/gateway/src/gateway/api/web.py); `npm run dev` proxies
// the API to a gateway on :8000 (python3 dev.py run).
export default defineConfig({
  base: "/app/",
  plugins: [noCdnFonts(), vue(), precompress()],
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
