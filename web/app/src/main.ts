import { createApp } from "vue";
import "vant/lib/index.css";
import "./style.css";
import App from "./App.vue";
import { i18n } from "./services";
import { router } from "./router";
import { applyLargeText, largeText } from "./largeText";

applyLargeText(largeText.value);
createApp(App).use(i18n).use(router).mount("#app");
