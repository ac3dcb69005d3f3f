import { describe, expect, it } from "vitest";
import { keyPaths } from "@weilinli/shared";
import { appMessages } from "../src/locales";
import { tabs } from "../src/tabs";

describe("app locales", () => {
  it("say everything in zh-CN, en and ko, including every tab", () => {
    const zh = keyPaths(appMessages["zh-CN"]);
    expect(keyPaths(appMessages.en)).toEqual(zh);
    expect(keyPaths(appMessages.ko)).toEqual(zh);
    for (const tab of tabs) expect(zh).toContain(`app.tabs.${tab.key}`);
  });
});
