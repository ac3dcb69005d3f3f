"""Run the whole WeiLinli system on this machine: `python3 dev.py run` ends up here.

1. Preflight: PostgreSQL, Redis and RabbitMQ answer at the URLs the services will use, and the
   HTTP ports are free. Otherwise say what is wrong and how to fix it, and exit 1 (no traceback).
2. Make sure the development JWT key pair exists and hand its files to the services.
3. Start errand, reports, forum, payments, then the gateway, each as `python -m <service>` (each creates
   and migrates its own database), their output prefixed with their name.
4. Wait until every /health/ready answers 200, print the URLs. On a system with no community,
   seed the demo community (scripts/seed_demo.py) and print its logins; `--no-demo` skips it,
   and it never runs when GATEWAY_ENVIRONMENT is production.
5. On Ctrl-C / SIGTERM, stop every service (SIGTERM, then SIGKILL after a grace period).

Settings come from the same environment variables the services read (ERRAND_HTTP_PORT,
GATEWAY_DATABASE_URL, ...), so this script checks exactly what the services will use.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from servicekit.auth import ensure_dev_keypair
from servicekit.settings import LOCAL_STATE_DIR, BaseServiceSettings

ROOT = Path(__file__).resolve().parent.parent

# Start order: the gateway last, it reports on the others in its readiness.
SERVICES = ("errand", "reports", "forum", "payments", "gateway")
UPSTREAMS = ("errand", "reports", "forum", "payments")

PREFLIGHT_TIMEOUT_SECONDS = 3.0
READY_TIMEOUT_SECONDS = 90.0
STOP_GRACE_SECONDS = 20.0
TAIL_LINES = 40

# How to start each infrastructure server on a development machine (docs/architecture.md §7).
START_COMMANDS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": (
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
        "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
    ),
    "RabbitMQ": "rabbitmq-server -detached",
}
DOCKER_ALTERNATIVE = (
    "or, with Docker, run the whole system in containers instead: "
    "docker compose --env-file deploy/env/compose.env up --build -d   (see deploy/README.md)"
)


# One line at a time on our stdout, whichever thread prints. Re-entrant: the signal handler prints
# on the main thread, possibly while that thread already holds the lock.
_print_lock = threading.RLock()


class RunError(Exception):
    """Something the user can fix; the message says what. Ends the run with status 1."""


def say(message: str) -> None:
    with _print_lock:
        print(f"run_local: {message}", flush=True)


# -- settings ------------------------------------------------------------------------------------
def env_prefix(service: str) -> str:
    return f"{service.upper()}_"


def load_settings() -> dict[str, BaseServiceSettings]:
    """Each service's Settings, read from the environment exactly as the service will read it."""
    from errand.config import Settings as ErrandSettings
    from forum.config import Settings as ForumSettings
    from gateway.config import Settings as GatewaySettings
    from payments.config import Settings as PaymentsSettings
    from reports.config import Settings as ReportsSettings

    classes: dict[str, type[BaseServiceSettings]] = {
        "errand": ErrandSettings,
        "reports": ReportsSettings,
        "forum": ForumSettings,
        "payments": PaymentsSettings,
        "gateway": GatewaySettings,
    }
    settings: dict[str, BaseServiceSettings] = {}
    for name in SERVICES:
        try:
            settings[name] = classes[name]()
        except ValidationError as exc:
            problems = "; ".join(
                f"{env_prefix(name)}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
            )
            raise RunError(f"invalid settings for {name}: {problems}") from None
    return settings


def local_host(http_host: str) -> str:
    """Where to reach a server from this machine (a wildcard bind is reachable on loopback)."""
    return "127.0.0.1" if http_host in ("", "0.0.0.0", "::") else http_host


def base_url(settings: BaseServiceSettings) -> str:
    host = local_host(settings.http_host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.http_port}"


def redact(url: str) -> str:
    """The URL with its password replaced, fit for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# -- 1. preflight --------------------------------------------------------------------------------
@dataclass
class Target:
    """One infrastructure server at one URL, and which services use it there."""

    kind: str  # "PostgreSQL" | "Redis" | "RabbitMQ"
    url: str
    setting: str  # the environment variable suffix, e.g. "AMQP_URL"
    users: list[str] = field(default_factory=list)


def infrastructure_targets(settings: Mapping[str, BaseServiceSettings]) -> list[Target]:
    targets: dict[tuple[str, str], Target] = {}

    def add(kind: str, url: str, setting: str, service: str) -> None:
        target = targets.setdefault((kind, url), Target(kind, url, setting))
        target.users.append(service)

    for name, s in settings.items():
        add("PostgreSQL", postgres_admin_url(s.database_url.get_secret_value()), "DATABASE_URL", name)
        add("Redis", s.redis_url, "REDIS_URL", name)
        add("RabbitMQ", s.amqp_url.get_secret_value(), "AMQP_URL", name)
    return list(targets.values())


def postgres_admin_url(database_url: str) -> str:
    """The same server's `postgres` database: it exists before any service created its own."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


async def check_postgres(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=PREFLIGHT_TIMEOUT_SECONDS)
    await connection.close()


async def check_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(
        url, socket_connect_timeout=PREFLIGHT_TIMEOUT_SECONDS, socket_timeout=PREFLIGHT_TIMEOUT_SECONDS
    )
    try:
        await client.ping()
    finally:
        await client.aclose()


async def check_rabbitmq(url: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(url, timeout=PREFLIGHT_TIMEOUT_SECONDS)
    await connection.close()


CHECKS: dict[str, Callable[[str], Awaitable[None]]] = {
    "PostgreSQL": check_postgres,
    "Redis": check_redis,
    "RabbitMQ": check_rabbitmq,
}


async def probe(target: Target) -> str | None:
    """None when the server answers its own protocol, else a one-line reason."""
    check = CHECKS[target.kind]
    try:
        # The outer timeout also covers DNS and protocol handshakes the clients do not time.
        await asyncio.wait_for(check(target.url), PREFLIGHT_TIMEOUT_SECONDS + 1)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return None


async def probe_all(targets: list[Target]) -> list[str | None]:
    return list(await asyncio.gather(*(probe(t) for t in targets)))


def check_infrastructure(settings: Mapping[str, BaseServiceSettings]) -> None:
    targets = infrastructure_targets(settings)
    # aiormq logs the refused connection itself; our message below says it better, and only once.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)
    reasons = asyncio.run(probe_all(targets))
    failures = [(t, reason) for t, reason in zip(targets, reasons, strict=True) if reason]
    if not failures:
        return
    lines = []
    for target, reason in failures:
        variables = ", ".join(f"{env_prefix(s)}{target.setting}" for s in target.users)
        lines += [
            f"cannot reach {target.kind} at {redact(target.url)} ({reason})",
            f"  used by: {', '.join(target.users)} (set by {variables})",
            f"  start it with:  {START_COMMANDS[target.kind]}",
        ]
    lines.append(DOCKER_ALTERNATIVE)
    raise RunError("\n".join(lines))


def check_ports(settings: Mapping[str, BaseServiceSettings]) -> None:
    seen: dict[int, str] = {}
    for name, s in settings.items():
        port = s.http_port
        if port in seen:
            raise RunError(
                f"port {port} is configured for both {seen[port]} and {name}; "
                f"set {env_prefix(name)}HTTP_PORT to another port"
            )
        seen[port] = name
        if not port_is_free(s.http_host, port):
            raise RunError(
                f"port {port} ({name}) is already in use on {s.http_host}. Is WeiLinli already running? "
                f"Find the owner with `ss -ltnp 'sport = :{port}'`, stop it, "
                f"or set {env_prefix(name)}HTTP_PORT to another port."
            )


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Like uvicorn (asyncio sets SO_REUSEADDR): a port in TIME_WAIT after a previous run is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# -- 2. environment of the services --------------------------------------------------------------
def child_environment(settings: Mapping[str, BaseServiceSettings]) -> dict[str, str]:
    """Our environment plus what the services need to work together; user values always win."""
    env = dict(os.environ)
    private_key, public_key = ensure_dev_keypair(ROOT / LOCAL_STATE_DIR / "keys")
    if not env.get("GATEWAY_JWT_PRIVATE_KEY"):
        env.setdefault("GATEWAY_JWT_PRIVATE_KEY_FILE", str(private_key))
    for name in SERVICES:
        if not env.get(f"{env_prefix(name)}JWT_PUBLIC_KEY"):
            env.setdefault(f"{env_prefix(name)}JWT_PUBLIC_KEY_FILE", str(public_key))
    # Point the gateway at the ports the services will really listen on (e.g. ERRAND_HTTP_PORT).
    for name in UPSTREAMS:
        env.setdefault(f"GATEWAY_{name.upper()}_URL", base_url(settings[name]))
    env["PYTHONUNBUFFERED"] = "1"  # log lines reach us as they are written
    return env


# -- 3. the service processes --------------------------------------------------------------------
PR_SET_PDEATHSIG = 1


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


# Loaded once in the runner: the forked child then only makes the prctl call before exec.
_LIBC = _load_libc()


def die_with_parent(signum: int) -> None:
    """Ask Linux to send us ``signum`` when our parent dies, so no process outlives the runner.

    For the services this runs in the forked child before exec (the setting survives exec);
    for the runner itself (SIGTERM: a clean stop) it covers `uv run` being killed. A no-op off Linux.
    """
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)


@dataclass
class Service:
    name: str
    settings: BaseServiceSettings
    process: subprocess.Popen[bytes]
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))
    reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return base_url(self.settings)


def start_service(name: str, settings: BaseServiceSettings, env: dict[str, str]) -> Service:
    parent = os.getpid()

    def in_child() -> None:
        die_with_parent(signal.SIGKILL)
        if os.getppid() != parent:  # the runner died before prctl took effect
            os._exit(1)

    process = subprocess.Popen(
        [sys.executable, "-m", name],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # Same process group as ours: Ctrl-C in the terminal and a test's killpg reach every service.
        start_new_session=False,
        preexec_fn=in_child,  # safe: called before any reader thread exists, see start_all
    )
    return Service(name, settings, process)


def pump_output(service: Service) -> None:
    """Copy a service's output to ours, one prefixed line at a time, and keep its last lines."""
    assert service.process.stdout is not None
    for raw in service.process.stdout:
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        service.tail.append(line)
        with _print_lock:
            print(f"[{service.name}] {line}", flush=True)


def start_all(settings: Mapping[str, BaseServiceSettings], env: dict[str, str]) -> list[Service]:
    # All processes are forked before any reader thread starts: preexec_fn is only safe while this
    # process has a single thread. Nothing is lost meanwhile, the pipes buffer the first lines.
    services = []
    for name in SERVICES:
        services.append(start_service(name, settings[name], env))
        say(f"started {name} (pid {services[-1].process.pid})")
    for service in services:
        service.reader = threading.Thread(target=pump_output, args=(service,), daemon=True)
        service.reader.start()
    return services


def stop_all(services: list[Service]) -> None:
    """SIGTERM every service (uvicorn drains requests), SIGKILL whatever is left after the grace."""
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for service in services:
        try:
            service.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{service.name} did not stop within {STOP_GRACE_SECONDS:.0f} s, killing it")
            service.process.kill()
            service.process.wait()
    for service in services:
        if service.reader is not None:
            service.reader.join(timeout=2)
    wait_for_helpers_to_exit()


def wait_for_helpers_to_exit(timeout: float = 10.0) -> None:
    """A service's helper processes (multiprocessing's resource tracker, the photo decoders' fork
    server) notice their parent is gone a moment after it exits, and then wait for init to reap
    them. Wait for both, so that once `run` says "stopped", nothing it started is left in its
    process group."""
    group = os.getpgrp()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _other_members(group):
        time.sleep(0.05)


def _other_members(group: int) -> bool:
    ours = {os.getpid(), os.getppid()}  # this runner and dev.py waiting for it
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in ours:
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        # fields[2] is the process group (a zombie counts: it is still in the group until reaped).
        if int(fields[2]) == group:
            return True
    return False


def report_failure(service: Service, what: str) -> None:
    with _print_lock:
        print(f"run_local: {service.name} {what}; its last lines were:", flush=True)
        for line in service.tail:
            print(f"  [{service.name}] {line}", flush=True)


# -- 4. readiness --------------------------------------------------------------------------------
def is_ready(service: Service) -> bool:
    try:
        with urllib.request.urlopen(f"{service.url}/health/ready", timeout=2) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False  # not listening yet, or 503 (HTTPError is a URLError)


def wait_until_ready(services: list[Service], stopping: threading.Event) -> bool:
    """True once every service is ready; False when asked to stop, a service died or time ran out."""
    pending = list(services)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while pending:
        if stopping.is_set():
            return False
        for service in list(pending):
            code = service.process.poll()
            if code is not None:
                report_failure(service, f"exited with status {code} before it was ready")
                return False
            if is_ready(service):
                say(f"{service.name} is ready")
                pending.remove(service)
        if pending and time.monotonic() > deadline:
            for service in pending:
                report_failure(service, f"was not ready after {READY_TIMEOUT_SECONDS:.0f} s")
            return False
        if pending:
            stopping.wait(0.5)
    return True


def print_urls(services: list[Service]) -> None:
    by_name = {s.name: s for s in services}
    gateway = by_name["gateway"].url
    lines = [
        "",
        "WeiLinli 微邻里 is running.",
        f"  gateway   {gateway}",
        f"            docs {gateway}/docs   health {gateway}/health/ready   metrics {gateway}/metrics",
    ]
    lines += [f"  {name:<9} {by_name[name].url}   (docs {by_name[name].url}/docs)" for name in UPSTREAMS]
    lines += ["", "Press Ctrl-C to stop.", ""]
    with _print_lock:
        print("\n".join(lines), flush=True)


# -- the demo community (issue 12) ---------------------------------------------------------------
def seed_demo_in_background(
    settings: Mapping[str, BaseServiceSettings],
    services: list[Service],
    env: Mapping[str, str],
    stopping: threading.Event,
    scale: float = 1.0,
) -> threading.Thread | None:
    """Seed the demo community beside the supervision loop, so Ctrl-C and a dying service are
    noticed meanwhile. The seeder itself leaves a system that has any community alone."""
    gateway_settings = settings["gateway"]
    if gateway_settings.environment == "production":
        say("no demo community in production")
        return None
    import seed_demo  # scripts/ is this script's directory, first on sys.path

    key_file = env.get("GATEWAY_JWT_PRIVATE_KEY_FILE")
    if key_file and not getattr(gateway_settings, "jwt_private_key_file", None):
        gateway_settings = gateway_settings.model_copy(update={"jwt_private_key_file": key_file})
    gateway_url = next(s.url for s in services if s.name == "gateway")

    secret = env.get(seed_demo.DEMO_SECRET_ENV, "")

    def work() -> None:
        try:
            result = asyncio.run(
                seed_demo.seed_demo(gateway_url, gateway_settings, scale=scale, say=say, demo_secret=secret)
            )
        except Exception as exc:
            if not stopping.is_set():  # stopping midway is no failure worth a word
                say(f"seeding the demo community failed: {type(exc).__name__}: {exc}")
            return
        if not result.created:
            say(f"demo: {result.message}")
            return
        code, name = seed_demo.DEMO_CODE, seed_demo.DEMO_NAME
        say(f"demo community `{code}` ({name}) seeded in {result.seconds:.0f} s:")
        summary = ", ".join(f"{key} {value}" for key, value in result.counts.items())
        say(f"  {summary}")
        with _print_lock:
            print("\n".join(seed_demo.login_lines(result)), flush=True)

    say("seeding the demo community (skip with `python3 dev.py run --no-demo`) ...")
    thread = threading.Thread(target=work, name="seed-demo", daemon=True)
    thread.start()
    return thread


# -- main ----------------------------------------------------------------------------------------
def install_stop_handlers(stopping: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            say(f"{signal.Signals(signum).name} received, stopping the services ...")
        stopping.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def supervise(services: list[Service], stopping: threading.Event) -> int:
    """Block until asked to stop (0) or until a service dies on its own (1)."""
    while not stopping.wait(0.5):
        for service in services:
            code = service.process.poll()
            if code is not None:
                # A Ctrl-C reaches the services too; one may exit before our handler has run.
                if stopping.wait(0.5):
                    return 0
                report_failure(service, f"exited unexpectedly with status {code}")
                return 1
    return 0


def run(*, demo: bool = True, demo_scale: float = 1.0) -> int:
    os.chdir(ROOT)  # LOCAL_STATE_DIR and the services' relative paths are relative to the repo
    stopping = threading.Event()
    install_stop_handlers(stopping)
    die_with_parent(signal.SIGTERM)

    settings = load_settings()
    check_ports(settings)
    say("checking PostgreSQL, Redis and RabbitMQ ...")
    check_infrastructure(settings)
    env = child_environment(settings)
    if demo and all(s.environment == "development" for s in settings.values()):
        # The seeder's key to the services' development clock (servicekit.clock): a new one each
        # run, known only to this process and the services it starts.
        env.setdefault("WEILINLI_DEMO_TIME_SECRET", secrets.token_urlsafe(32))
    if stopping.is_set():  # Ctrl-C during the preflight: nothing started yet
        say("stopped")
        return 0

    services = start_all(settings, env)
    try:
        if not wait_until_ready(services, stopping):
            return 0 if stopping.is_set() else 1
        print_urls(services)
        if demo:
            seed_demo_in_background(settings, services, env, stopping, demo_scale)
        return supervise(services, stopping)
    finally:
        stop_all(services)
        say("stopped")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python3 dev.py run", description="Run WeiLinli on this machine.")
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo community")
    parser.add_argument("--demo-scale", type=float, default=1.0, help="size of the demo community (1 = full)")
    args = parser.parse_args(argv)
    try:
        return run(demo=not args.no_demo, demo_scale=args.demo_scale)
    except RunError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:  # Ctrl-C before our handler was installed
        say("stopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
