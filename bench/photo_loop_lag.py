"""Photo intake under attack (issue 9.3): `/health/live` latency of the reports service while three
clients upload hostile images, and the CPU one normal 12 MP phone photo costs.

The reports service runs as deployed (`python -m reports`, its own process, throw-away database and
exchange). Then:

1. idle: `/health/live` asked every 10 ms for ``--idle-seconds`` (the machine's noise floor);
2. hostile: three clients upload without pause for ``--seconds``, each alternating the probe's
   pixel bomb (a ~10 KB one-colour PNG of 8944x8944, 80 MP: refused from its header) and a
   one-colour PNG of 6000x6000 (36 MP, a few KB: under the limit, so really decoded and
   downscaled); meanwhile `/health/live` is asked every 10 ms: p50 / p99 / max;
3. CPU per normal upload: a 12 MP (4000x3000) photo-like JPEG uploaded ``--uploads`` times, one
   after another; CPU is that of the service's whole process tree (the service, its fork server
   and decoder processes, from /proc), per upload. Beside it, in this process: Pillow's own
   decode + re-encode of the same file (open, load, save as JPEG quality 85: what any re-encoding
   costs) and servicekit.imaging.clean_image (decode at reduced scale, downscale to 2048 px, encode).

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
from PIL import Image

from bench.service_processes import Processes, service_env, wait_live
from servicekit.db import drop_database
from servicekit.imaging import clean_image
from servicekit.stack import free_port
from servicekit.testing import new_namespace
from servicekit.tokens import TokenSigner

DESCRIPTION = "/health/live p50/p99/max while 3 hostile uploads run; CPU ms per 12 MP JPEG vs Pillow"

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary_ms(values: list[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.5) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "over_100_ms": sum(1 for value in values if value >= 0.1),
    }


def one_colour_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


def phone_photo() -> bytes:
    """A 12 MP JPEG with the entropy of a photo (gradient + noise), quality 90, like a phone's."""
    size = (4000, 3000)
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    total = 0.0
    for pid in cpu:
        ancestor = pid
        while ancestor not in (0, 1, root) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root or pid == root:
            total += cpu[pid]
    return total


def process_cpu_ms(work: Any, repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - started) * 1000 / repeat


def pillow_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def pillow_reencode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image.convert("RGB").save(io.BytesIO(), format="JPEG", quality=85)


@contextlib.asynccontextmanager
async def reports_service(namespace: str, signer: TokenSigner) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    photo_root = tempfile.mkdtemp(prefix="wlbench-photos-")
    env = service_env(
        "REPORTS_",
        namespace,
        "reports",
        port,
        {"REPORTS_JWT_PUBLIC_KEY": signer.public_pem, "REPORTS_PHOTO_ROOT": photo_root},
    )
    processes = Processes()
    try:
        processes.start("reports", env)
        url = f"http://127.0.0.1:{port}"
        await wait_live(url)
        yield url, processes.running[0].pid
    finally:
        processes.stop()
        with contextlib.suppress(Exception):
            await drop_database(env["REPORTS_DATABASE_URL"])
        with contextlib.suppress(Exception):
            connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(f"wlbench.{namespace}.reports.events")
                await channel.queue_delete(f"wlbench.{namespace}.reports.events.dlq")
                await channel.exchange_delete(f"wlbench.{namespace}.events")
                await channel.exchange_delete(f"wlbench.{namespace}.dlx")
        shutil.rmtree(photo_root, ignore_errors=True)


async def probe_live(url: str, until: Any) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as probe:
        await probe.get("/health/live")
        while not until():
            started = time.perf_counter()
            response = await probe.get("/health/live")
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            await asyncio.sleep(0.01)
    return latencies


class Uploader:
    """One client posting photos to reports of its own (a new report before the sixth photo)."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.report_id = ""
        self.stored = 0
        self.statuses: dict[int, int] = {}
        self.seconds: list[float] = []

    async def new_report(self) -> None:
        created = await self.client.post(
            "/api/v1/reports",
            json={"category": "stairwell_lighting", "location": {"building": "3"}, "description": "x"},
            headers=self.headers,
        )
        created.raise_for_status()
        self.report_id, self.stored = created.json()["id"], 0

    async def upload(self, data: bytes, name: str) -> None:
        if not self.report_id or self.stored >= 5:
            await self.new_report()
        started = time.perf_counter()
        response = await self.client.post(
            f"/api/v1/reports/{self.report_id}/photos", files={"photo": (name, data)}, headers=self.headers
        )
        self.seconds.append(time.perf_counter() - started)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code == 201:
            self.stored += 1


async def run(args: Any) -> dict[str, Any]:
    signer = TokenSigner.generate()
    token = signer.sign(
        user_id=uuid.uuid4(),
        community_id=uuid.uuid4(),
        roles=["resident"],
        building="3",
        household_id=uuid.uuid4(),
        ttl_seconds=3600,
    )
    headers = {"Authorization": f"Bearer {token}"}
    bomb, big = one_colour_png(8944), one_colour_png(6000)
    photo = phone_photo()
    print(f"hostile files: 80 MP PNG {len(bomb):,} B, 36 MP PNG {len(big):,} B; 12 MP JPEG {len(photo):,} B")
    load_before = os.getloadavg()
    result: dict[str, Any] = {"benchmark": "photo_loop_lag", "cpus": os.cpu_count()}
    async with reports_service(new_namespace(), signer) as (url, pid):
        idle_until = time.monotonic() + args.idle_seconds
        idle = await probe_live(url, lambda: time.monotonic() >= idle_until)
        result["idle"] = summary_ms(idle)
        print(f"/health/live idle: {result['idle']}")

        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            uploaders = [Uploader(client, headers) for _ in range(3)]
            for uploader in uploaders:  # the service's first report submissions are not measured
                await uploader.new_report()
            stop_at = time.monotonic() + args.seconds

            async def hostile(uploader: Uploader) -> None:
                while time.monotonic() < stop_at:
                    await uploader.upload(bomb, "bomb.png")
                    await uploader.upload(big, "big.png")

            attack = asyncio.gather(*(hostile(u) for u in uploaders))
            under_attack = await probe_live(url, attack.done)
            await attack
            statuses: dict[int, int] = {}
            for uploader in uploaders:
                for status, count in uploader.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
            upload_seconds = [s for u in uploaders for s in u.seconds]
            result["hostile"] = {
                **summary_ms(under_attack),
                "uploads": dict(sorted(statuses.items())),
                "upload_p50_ms": round(percentile(upload_seconds, 0.5) * 1000, 1),
            }
            print(f"/health/live while 3 clients upload hostile PNGs: {result['hostile']}")

            normal = Uploader(client, headers)
            await normal.upload(photo, "warm.jpg")  # decoder processes already warm; one more
            cpu_before = tree_cpu_seconds(pid)
            for _ in range(args.uploads):
                await normal.upload(photo, "photo.jpg")
            cpu_ms = (tree_cpu_seconds(pid) - cpu_before) * 1000 / args.uploads
    load_after = os.getloadavg()
    pillow_ms = process_cpu_ms(lambda: pillow_reencode(photo), args.uploads)
    clean_ms = process_cpu_ms(lambda: clean_image(photo), args.uploads)
    decode_ms = process_cpu_ms(lambda: pillow_decode(photo), args.uploads)
    cleaned = clean_image(photo)
    stored = len(cleaned.data) if hasattr(cleaned, "data") else 0
    result["upload_12mp_jpeg"] = {
        "service_cpu_ms_per_upload": round(cpu_ms, 1),
        "wall_p50_ms": round(percentile(normal.seconds[1:], 0.5) * 1000, 1),
        "pillow_decode_encode_cpu_ms": round(pillow_ms, 1),
        "clean_image_cpu_ms": round(clean_ms, 1),
        "pillow_decode_cpu_ms": round(decode_ms, 1),
        "target_clean_ms": 120,
        "stored_bytes": stored,
        "input_bytes": len(photo),
        "statuses": normal.statuses,
    }
    print(
        f"12 MP JPEG upload: service process tree {cpu_ms:.0f} ms CPU per upload "
        f"(wall p50 {result['upload_12mp_jpeg']['wall_p50_ms']} ms); in this process, Pillow "
        f"decode + JPEG encode {pillow_ms:.0f} ms, servicekit.imaging.clean_image {clean_ms:.0f} ms"
    )
    print(
        f"per megapixel (12 MP): clean_image {clean_ms / 12:.1f} ms vs Pillow's own full decode "
        f"{decode_ms / 12:.1f} ms and decode + encode {pillow_ms / 12:.1f} ms; clean_image {clean_ms:.0f} ms "
        f"vs limit 120 ms (issue 16.4): {'met' if clean_ms <= 120 else 'NOT met'}; stored {stored:,} B "
        f"of {len(photo):,} B"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, 1-minute load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    result["load_average_1m"] = [round(load_before[0], 2), round(load_after[0], 2)]
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench photo_loop_lag", description=DESCRIPTION)
    parser.add_argument("--seconds", type=float, default=15, help="hostile uploads for (default 15)")
    parser.add_argument("--idle-seconds", type=float, default=5, help="idle probing first (default 5)")
    parser.add_argument("--uploads", type=int, default=10, help="12 MP JPEG uploads timed (default 10)")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args))))
    return 0
