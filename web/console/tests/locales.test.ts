import { describe, expect, it } from "vitest";
import { keyPaths } from "@weilinli/shared";
import { consoleMessages } from "../src/locales";
import { screens } from "../src/screens";

describe("console locales", () => {
  it("say everything in zh-CN, en and ko, including every screen's nav entry", () => {
    const zh = keyPaths(consoleMessages["zh-CN"]);
    expect(keyPaths(consoleMessages.en)).toEqual(zh);
    expect(keyPaths(consoleMessages.ko)).toEqual(zh);
    for (const screen of screens) expect(zh).toContain(`console.nav.${screen.key}`);
  });
});
