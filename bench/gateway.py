"""The gateway's proxy hop, measured against nginx: one authenticated GET of a service, three ways
with the same wrk load in one run.

1. direct to the service;
2. through nginx as a plain reverse proxy (deploy/nginx/bench.conf: one worker, keep-alive pool);
3. through the gateway (uvicorn with uvloop/httptools, one process) with token verification and
   Redis rate limiting on (limits high enough never to refuse).

The service is a small real FastAPI app with servicekit's token verification on its one GET route
(the check every service makes), served by uvicorn in its own process. Each way is measured at
saturation (wrk -c32) and at half of the gateway's saturated rate (wrk with a fixed pause per
connection), where the latency the hop adds is what matters.

Needs wrk and nginx: `apt-get install -y nginx wrk`. Prints a table and writes bench/gateway.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from servicekit.auth import TokenVerifier, User
from servicekit.db import drop_database
from servicekit.errors import install_error_handlers
from servicekit.settings import DEV_AMQP_URL, DEV_DATABASE_HOST
from servicekit.tokens import TokenSigner

DESCRIPTION = "gateway vs nginx vs direct: req/s, p50, p99 of one authenticated GET (needs wrk, nginx)"

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/errand/bench/ping"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "bench.conf"
REPORT = ROOT / "bench" / "gateway.md"


def make_upstream() -> FastAPI:
    """The measured service (a uvicorn factory: `uvicorn bench.gateway:make_upstream --factory`)."""
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(
        os.environ["BENCH_JWT_PUBLIC_KEY"], issuer="weilinli-gateway", audience="weilinli"
    )
    install_error_handlers(app)

    @app.get(PATH)
    async def ping(user: User) -> dict[str, str]:
        return {"user": str(user.id), "community": str(user.community_id)}

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ok(url: str, token: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, OSError),
            urllib.request.urlopen(request, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> Result:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} responses were not 2xx:\n{output}")
    return Result(rps, _ms(p50.group(1)), _ms(p99.group(1)))  # type: ignore[union-attr]


def wrk(url: str, token: str, *, seconds: int, connections: int, pause_ms: float | None = None) -> Result:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        if pause_ms is not None:
            script = Path(tmp) / "pace.lua"
            # wrk waits this long after each response before the connection's next request;
            # the pause is not counted in the latency.
            script.write_text(f"function delay() return {pause_ms:.3f} end\n")
            command += ["-s", str(script)]
        completed = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return parse_wrk(completed.stdout)


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _cleanup(database_url: str, exchange: str, dead_letter: str, queues: list[str]) -> None:
    import aio_pika

    await drop_database(database_url)
    connection = await aio_pika.connect(DEV_AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)
        await channel.exchange_delete(dead_letter)


def run(
    seconds: int, connections: int, rounds_count: int = 3, gateway_overrides: dict[str, str] | None = None
) -> dict[str, dict[str, Result]]:
    signer = TokenSigner.generate()
    token = signer.sign(
        user_id=uuid.uuid4(), community_id=uuid.uuid4(), roles=["resident"], ttl_seconds=3600 * 4
    )
    namespace = uuid.uuid4().hex[:10]
    ports = {name: _free_port() for name in ("service", "nginx", "gateway")}
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    database_url = f"{DEV_DATABASE_HOST}/wlbench_{namespace}_gateway"
    exchange, dead_letter, prefix = (
        f"wlbench.{namespace}.events",
        f"wlbench.{namespace}.dlx",
        f"wlbench.{namespace}.",
    )
    gateway_env = {
        **base_env,
        "GATEWAY_HTTP_PORT": str(ports["gateway"]),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_EVENTS_EXCHANGE": exchange,
        "GATEWAY_DEAD_LETTER_EXCHANGE": dead_letter,
        "GATEWAY_QUEUE_PREFIX": prefix,
        "GATEWAY_JWT_PRIVATE_KEY": signer.private_pem,
        "GATEWAY_JWT_PUBLIC_KEY": signer.public_pem,
        "GATEWAY_ERRAND_URL": f"http://127.0.0.1:{ports['service']}",
        # On, and charged on every request, but high enough never to refuse the benchmark.
        "GATEWAY_RATE_LIMIT_ENABLED": "true",
        "GATEWAY_RATE_LIMIT_PER_USER": str(10**9),
        "GATEWAY_RATE_LIMIT_PER_IP": str(10**9),
        "GATEWAY_LOG_LEVEL": "WARNING",
        **(gateway_overrides or {}),
    }
    service_command = [
        sys.executable, "-m", "uvicorn", "bench.gateway:make_upstream", "--factory",
        "--host", "127.0.0.1", "--port", str(ports["service"]),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
        "--no-proxy-headers",
    ]  # fmt: skip
    nginx_dir = Path(tempfile.mkdtemp(prefix="wlbench-nginx-"))
    conf = string.Template(NGINX_TEMPLATE.read_text()).substitute(
        prefix=nginx_dir, upstream_port=ports["service"], listen_port=ports["nginx"]
    )
    (nginx_dir / "nginx.conf").write_text(conf)
    urls = {name: f"http://127.0.0.1:{port}{PATH}" for name, port in ports.items()}
    try:
        with (
            _process(service_command, {**base_env, "BENCH_JWT_PUBLIC_KEY": signer.public_pem}),
            _process(
                [
                    "nginx",
                    "-p",
                    str(nginx_dir),
                    "-e",
                    str(nginx_dir / "error.log"),
                    "-c",
                    str(nginx_dir / "nginx.conf"),
                ],
                base_env,
            ),
            _process([sys.executable, "-m", "gateway"], gateway_env),
        ):
            for url in urls.values():
                _wait_ok(url, token)
            for url in urls.values():
                wrk(url, token, seconds=2, connections=connections)  # warm-up
            # Rounds interleave the three ways, so that load from elsewhere on the machine falls on
            # all of them alike; each way's median round is reported.
            rounds: dict[str, list[Result]] = {name: [] for name in urls}
            for _ in range(rounds_count):
                for name, url in urls.items():
                    rounds[name].append(wrk(url, token, seconds=seconds, connections=connections))
            saturated = {
                name: sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]
                for name, results in rounds.items()
            }
            # Half of the gateway's saturated rate, the same for all three: 8 connections, each
            # pausing so that together they ask for that rate.
            target = saturated["gateway"].requests_per_second / 2
            paced_connections = 8
            pause_ms = paced_connections * 1000 / target
            half = {}
            for name, url in urls.items():
                # Each connection's cycle is its latency plus the pause: a short first run measures
                # the latency of this way, so that every way is asked for the same rate.
                probe = wrk(url, token, seconds=3, connections=paced_connections, pause_ms=pause_ms)
                adjusted = max(0.1, pause_ms - probe.p50_ms)
                half[name] = wrk(
                    url, token, seconds=seconds, connections=paced_connections, pause_ms=adjusted
                )
    finally:
        shutil.rmtree(nginx_dir, ignore_errors=True)
        asyncio.run(
            _cleanup(
                database_url,
                exchange,
                dead_letter,
                [f"{prefix}gateway.events", f"{prefix}gateway.events.dlq"],
            )
        )
    return {"saturation": saturated, "half": half}


def render(results: dict[str, dict[str, Result]], seconds: int, connections: int, rounds: int) -> str:
    saturated, half = results["saturation"], results["half"]
    names = {"service": "direct to the service", "nginx": "through nginx", "gateway": "through the gateway"}
    lines = [
        f"Load: wrk -t1 -c{connections} -d{seconds}s, GET {PATH} with a bearer token, {rounds} interleaved",
        "rounds (the median round of each way shown); wrk, nginx, the gateway and the service all on one",
        "2-core machine.",
        "",
        "| way | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for key, label in names.items():
        r = saturated[key]
        lines.append(f"| {label} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} |")
    ratio = saturated["gateway"].requests_per_second / saturated["nginx"].requests_per_second
    half_rate = saturated["gateway"].requests_per_second / 2
    lines += [
        "",
        f"Throughput gateway / nginx: **{ratio:.2f}** (target >= 0.85, issue 16.7; was 0.7).",
        "",
        f"At half of the gateway's saturated rate ({half_rate:,.0f} req/s asked;"
        " 8 connections pacing themselves):",
        "",
        "| way | req/s | p50 ms | p99 ms | p99 added over direct, ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in names.items():
        r = half[key]
        added = r.p99_ms - half["service"].p99_ms
        lines.append(
            f"| {label} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
            f"{'' if key == 'service' else f'{added:.2f}'} |"
        )
    added = half["gateway"].p99_ms - half["service"].p99_ms
    lines += [
        "",
        f"p99 added by the gateway at half saturation: **{added:.2f} ms** (target <= 2 ms, issue 16.7).",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench gateway", description=DESCRIPTION)
    parser.add_argument("--seconds", type=int, default=6, help="duration of each measured wrk run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds at saturation (median kept)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections at saturation")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {REPORT.name}")
    args = parser.parse_args(argv)
    missing = [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]
    if missing:
        print(f"bench gateway needs {' and '.join(missing)}: apt-get install -y nginx wrk", file=sys.stderr)
        return 1
    results = run(args.seconds, args.connections, args.rounds)
    table = render(results, args.seconds, args.connections, args.rounds)
    print(table)
    if not args.no_write:
        REPORT.write_text(f"# bench/gateway\n\n{table}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
