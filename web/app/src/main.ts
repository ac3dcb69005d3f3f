import { createApp } from "vue";
import "vant/lib/index.css";
import "./style.css";
import App from "./App.vue";
import { i18n } from "./services";
import { router } from "./router";
import { applyLargeText, largeText } from "./largeText";
import { watchChunkErrors, watchNetwork } from "./lib/network";

applyLargeText(largeText.value);
watchNetwork();
watchChunkErrors();
createApp(App).use(i18n).use(router).mount("#app");
