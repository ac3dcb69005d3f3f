"""Memory and CPU of each service, idle and under load, the figures deploy/k8s's requests and
limits are set from (bench/README.md, "service_resources").

The four services run as they are deployed (`python -m <service>`, one process each, with its
photo decoder processes), on throw-away databases and a private exchange (bench/service_processes).
Per service, the whole process tree is read from /proc: RSS (VmRSS summed over the tree: what the
kernel charges the pod's cgroup, shared pages counted in each process) and PSS (shared pages split,
for comparison), CPU as user + system time, children included. Two phases:

- **idle**: once every service answers and its decoders are warm, ``--idle-seconds`` of nothing;
- **loaded**: ``--concurrency`` clients drive a mix through the gateway for ``--seconds``: errand
  quote + order + order list, reports submission + list and every ``--photo-every``-th report a
  photo (a noisy 6 MP JPEG, so the decoders work), forum thread + search. RSS is sampled every
  second (the peak is reported), CPU is the average over the phase in millicores.

The load generator runs in this process, on the same cores as the services, PostgreSQL, Redis and
RabbitMQ: on a shared 2-core machine the loaded CPU figures are what the services got, not what
they would take alone. The load average is printed beside the figures.

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image

from bench.service_processes import Processes, remove_bench_state, service_env, wait_live
from servicekit.stack import free_port
from servicekit.tokens import TokenSigner

DESCRIPTION = "per-service RSS and CPU, idle and under a mixed load through the gateway (k8s requests/limits)"

SERVICES = {"gateway": "GATEWAY_", "errand": "ERRAND_", "reports": "REPORTS_", "forum": "FORUM_"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- /proc --------------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    children = _children()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as handle:
        stat = handle.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    # utime, stime, cutime, cstime (fields 14-17 of stat; reaped children count in the last two)
    return sum(int(value) for value in fields[11:15])


def _pss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * PAGE // 1024


@dataclass
class Usage:
    rss_mib: float
    pss_mib: float
    cpu_ticks: int
    processes: int


def usage(pid: int) -> Usage:
    rss = pss = ticks = count = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            rss += _rss_kib(member)
            pss += _pss_kib(member)
            ticks += _cpu_ticks(member)
            count += 1
    return Usage(rss / 1024, pss / 1024, ticks, count)


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


@dataclass
class Phase:
    seconds: float = 0.0
    start: dict[str, Usage] = field(default_factory=dict)
    end: dict[str, Usage] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)
    peak_pss: dict[str, float] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)

    def millicores(self, name: str) -> float:
        return (self.end[name].cpu_ticks - self.start[name].cpu_ticks) / CLOCK_TICKS / self.seconds * 1000


async def observe(
    pids: dict[str, int], seconds: float, phase: Phase, stop: asyncio.Event | None = None
) -> None:
    phase.load.append(loadavg())
    phase.start = {name: usage(pid) for name, pid in pids.items()}
    began = time.monotonic()
    while time.monotonic() - began < seconds and not (stop and stop.is_set()):
        for name, pid in pids.items():
            now = await asyncio.to_thread(usage, pid)
            phase.peak_rss[name] = max(phase.peak_rss.get(name, 0.0), now.rss_mib)
            phase.peak_pss[name] = max(phase.peak_pss.get(name, 0.0), now.pss_mib)
        await asyncio.sleep(1.0)
    phase.end = {name: usage(pid) for name, pid in pids.items()}
    phase.seconds = time.monotonic() - began
    phase.load.append(loadavg())


# -- the stack ------------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def stack(namespace: str, signer: TokenSigner) -> AsyncIterator[tuple[str, dict[str, int]]]:
    ports = {name: free_port() for name in SERVICES}
    envs: dict[str, dict[str, str]] = {}
    for name, prefix in SERVICES.items():
        extra = {f"{prefix}JWT_PUBLIC_KEY": signer.public_pem}
        if name == "gateway":
            extra |= {
                "GATEWAY_JWT_PRIVATE_KEY": signer.private_pem,
                "GATEWAY_RATE_LIMIT_ENABLED": "false",
                **{
                    f"GATEWAY_{up.upper()}_URL": f"http://127.0.0.1:{ports[up]}"
                    for up in SERVICES
                    if up != name
                },
            }
        if name == "errand":
            extra[f"{prefix}REDIS_KEY_PREFIX"] = f"wlbench:{namespace}:errand"
        envs[name] = service_env(prefix, namespace, name, ports[name], extra)
    processes = Processes()
    try:
        pids: dict[str, int] = {}
        for name in ("errand", "reports", "forum", "gateway"):
            processes.start(name, envs[name])
            pids[name] = processes.running[-1].pid
        for name in pids:
            await wait_live(f"http://127.0.0.1:{ports[name]}", within_seconds=120)
        yield f"http://127.0.0.1:{ports['gateway']}", pids
    finally:
        processes.stop()
        await remove_bench_state(
            namespace, [envs[name][f"{prefix}DATABASE_URL"] for name, prefix in SERVICES.items()], SERVICES
        )


# -- the load ---------------------------------------------------------------------------------------------
def noisy_jpeg(size: tuple[int, int] = (3000, 2000)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def place(building: str, offset_m: float) -> dict[str, Any]:
    return {
        "building": building,
        "unit": "1",
        "room": "402",
        "lat": 39.9087 + offset_m / 111_000,
        "lng": 116.3975,
    }


async def client_loop(
    client: httpx.AsyncClient,
    signer: TokenSigner,
    stop: asyncio.Event,
    photo: bytes,
    args: Any,
    seen: Counter[str],
) -> None:
    rng = random.Random()
    community = uuid.uuid4()
    reports_made = 0
    while not stop.is_set():
        user = uuid.uuid4()
        token = signer.sign(
            user_id=user,
            community_id=community,
            roles=("resident",),
            household_id=uuid.uuid4(),
            building="3",
            ttl_seconds=3600,
        )
        headers = {"Authorization": f"Bearer {token}"}

        async def call(
            service: str, method: str, path: str, headers: dict[str, str] = headers, **kwargs: Any
        ) -> httpx.Response | None:
            try:
                response = await client.request(method, path, headers=headers, **kwargs)
            except httpx.HTTPError:
                seen[f"{service} error"] += 1
                return None
            ok = response.status_code < 300
            seen[f"{service} 2xx" if ok else f"{service} {response.status_code}"] += 1
            return response

        choice = rng.random()
        if choice < 0.4:
            quote = await call(
                "errand",
                "POST",
                "/api/v1/errand/quotes",
                json={"type": "deliver", "pickup": place("5", 100), "dropoff": place("3", -100)},
            )
            if quote is not None and quote.status_code == 201:
                await call(
                    "errand", "POST", "/api/v1/errand/orders", json={"quote_id": quote.json()["quote_id"]}
                )
            await call("errand", "GET", "/api/v1/errand/orders")
        elif choice < 0.75:
            body = {
                "category": "stairwell_lighting",
                "location": {"building": "3"},
                "description": "楼道灯坏了",
            }
            report = await call("reports", "POST", "/api/v1/reports", json=body)
            reports_made += 1
            if report is not None and report.status_code == 201 and reports_made % args.photo_every == 0:
                await call(
                    "reports",
                    "POST",
                    f"/api/v1/reports/{report.json()['id']}/photos",
                    files={"file": ("p.jpg", photo, "image/jpeg")},
                )
            await call("reports", "GET", "/api/v1/reports")
        else:
            await call(
                "forum",
                "POST",
                "/api/v1/forum/threads",
                json={"board": "mutual_help", "title": "借梯子", "body": "谁家有梯子可以借用一下？"},
            )
            await call("forum", "GET", "/api/v1/forum/threads", params={"q": "梯子"})


async def run(args: argparse.Namespace) -> dict[str, Any]:
    namespace = uuid.uuid4().hex[:10]
    signer = TokenSigner.generate()
    photo = noisy_jpeg()
    idle, loaded = Phase(), Phase()
    seen: Counter[str] = Counter()
    async with stack(namespace, signer) as (gateway, pids):
        await asyncio.sleep(args.settle_seconds)  # decoders warm, first relay/consumer rounds done
        await observe(pids, args.idle_seconds, idle)
        stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
            clients = [
                asyncio.create_task(client_loop(client, signer, stop, photo, args, seen))
                for _ in range(args.concurrency)
            ]
            await observe(pids, args.seconds, loaded)
            stop.set()
            await asyncio.gather(*clients, return_exceptions=True)
    print(f"machine: {os.cpu_count()} cores, shared; load average idle {idle.load}, loaded {loaded.load}")
    print(
        f"loaded: {args.concurrency} clients for {loaded.seconds:.0f} s via the gateway; answers {dict(seen)}"
    )
    columns = ("idle RSS", "idle PSS", "idle CPU", "peak RSS", "peak PSS", "load CPU")
    print(f"{'service':8} " + " ".join(f"{column:>9}" for column in columns) + " procs")
    figures: dict[str, Any] = {}
    for name in pids:
        figures[name] = {
            "idle_rss_mib": round(idle.peak_rss[name], 1),
            "idle_pss_mib": round(idle.peak_pss[name], 1),
            "idle_cpu_millicores": round(idle.millicores(name), 1),
            "loaded_peak_rss_mib": round(loaded.peak_rss[name], 1),
            "loaded_peak_pss_mib": round(loaded.peak_pss[name], 1),
            "loaded_cpu_millicores": round(loaded.millicores(name), 1),
            "processes": loaded.end[name].processes,
        }
        f = figures[name]
        print(
            f"{name:8} {f['idle_rss_mib']:>6.1f}MiB {f['idle_pss_mib']:>6.1f}MiB "
            f"{f['idle_cpu_millicores']:>7.1f}m "
            f"{f['loaded_peak_rss_mib']:>6.1f}MiB {f['loaded_peak_pss_mib']:>6.1f}MiB "
            f"{f['loaded_cpu_millicores']:>7.1f}m {f['processes']:>5}"
        )
    return {
        "cores": os.cpu_count(),
        "load_average": {"idle": idle.load, "loaded": loaded.load},
        "concurrency": args.concurrency,
        "seconds": round(loaded.seconds, 1),
        "answers": dict(seen),
        "services": figures,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench service_resources", description=DESCRIPTION)
    parser.add_argument("--seconds", type=float, default=30, help="loaded phase (default 30)")
    parser.add_argument("--idle-seconds", type=float, default=15, help="idle phase (default 15)")
    parser.add_argument("--settle-seconds", type=float, default=10, help="wait after start (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients (default 16)")
    parser.add_argument(
        "--photo-every", type=int, default=5, help="a photo with every n-th report (default 5)"
    )
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args))))
    return 0
