import zhCN from "./zh-CN";
import en from "./en";
import ko from "./ko";

export const appMessages = { "zh-CN": zhCN, en, ko };
