"""The residents' app on a throttled phone network (issue 14: "usable within 3 s on fast 3G").

The built app (web/app/dist, `python3 scripts/build_web.py`) is served by the gateway's own web
routes (gateway.api.web.install_web: the same files, headers and deep-link fallback as deployed;
the API is not needed for the first screen). Debian's Chromium (never a downloaded browser) opens
`/app/` on a 360×640 phone with an empty cache under DevTools' "Fast 3G" profile through CDP
`Network.emulateNetworkConditions` (562.5 ms latency, 1.6 Mbit/s down, 750 kbit/s up, x0.9 as
DevTools applies them) and measures, from navigation start:

- `usable`: the sign-in screen is on screen and takes input (heading visible, phone field
  editable) — what a first-time visitor needs to do anything;
- the bytes transferred (as sent: the gateway serves files as they are; see bench/README.md).

`--runs N` repeats with a fresh context each time (cold cache). Prints figures, never asserts.
Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.async_api import async_playwright

from gateway.api.web import install_web
from gateway.config import Settings
from servicekit.stack import free_port

DESCRIPTION = "the app's first load on a throttled Fast 3G phone: time until the sign-in screen is usable"

CHROMIUM = "/usr/bin/chromium"
FAST_3G = {
    "offline": False,
    "latency": 150 * 3.75,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
    "uploadThroughput": 750 * 1000 / 8 * 0.9,
}
LIMIT_S = 3.0


async def _serve(port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    app = FastAPI()
    install_web(app, Settings(environment="development"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.05)
    return server, task


async def _one(browser: Any, base: str) -> dict[str, float]:
    context = await browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    await cdp.send("Network.emulateNetworkConditions", FAST_3G)
    received = 0

    def count(params: dict[str, Any]) -> None:
        nonlocal received
        received += int(params.get("encodedDataLength", 0))

    cdp.on("Network.loadingFinished", count)
    started = time.perf_counter()
    await page.goto(f"{base}/app/", wait_until="commit")
    await page.get_by_role("heading", name="欢迎来到微邻里").wait_for(timeout=60000)
    await page.locator("input[name=phone]").fill("13800000000")  # takes input: usable
    usable = time.perf_counter() - started
    await page.wait_for_load_state("networkidle")
    await context.close()
    return {"usable_s": usable, "kib": received / 1024}


async def run(runs: int) -> dict[str, Any]:
    port = free_port()
    server, task = await _serve(port)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
            )
            results = [await _one(browser, f"http://127.0.0.1:{port}") for _ in range(runs)]
            await browser.close()
    finally:
        server.should_exit = True
        await task
    usable = [r["usable_s"] for r in results]
    return {
        "runs": runs,
        "usable_s_median": round(statistics.median(usable), 2),
        "usable_s_max": round(max(usable), 2),
        "transferred_kib": round(results[-1]["kib"], 1),
        "limit_s": LIMIT_S,
        "met": max(usable) <= LIMIT_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.runs))
    print(
        f"app first load on Fast 3G (cold cache, 360x640): usable in {figures['usable_s_median']} s median, "
        f"{figures['usable_s_max']} s worst of {figures['runs']} (limit {LIMIT_S} s: "
        f"{'met' if figures['met'] else 'MISSED'}); {figures['transferred_kib']} KiB transferred"
    )
    print(json.dumps(figures))
    return 0
