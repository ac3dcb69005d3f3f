import zhCN from "./zh-CN";
import en from "./en";
import ko from "./ko";

export const consoleMessages = { "zh-CN": zhCN, en, ko };
