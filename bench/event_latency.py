"""Event latency: time from a producer's commit to the start of the consuming service's handler.

Two ServiceRuntimes in this one process, each with its own throw-away database, on one private
exchange: the producer (errand, no handlers) commits one ``errand.order.created.v1`` per unit of
work at a steady rate, scheduled on absolute deadlines (open loop: a slow commit does not push the
next one back); its outbox relay publishes them; the consumer (gateway) takes them from its queue
and runs the handler inside its unit of work, after the inbox insert. Latency, per event_id =
perf_counter on the handler's first line - perf_counter right after the producer's ``commit()``
returned. Events committed in the first ``--warmup`` seconds (default 1) are sent but not counted:
connection pools fill and caches warm then.

It also shows where the time goes, from a relay subclass plugged in through ServiceRuntime's
``relay_class`` (the production code path is unchanged, it only adds timestamps):

- outbox wait: commit -> the relay starts the batch that carries the event (wake-up, previous batch);
- publish + confirm: batch start -> the broker's confirms are in (claim query, publishes, confirms);
- delivery: confirms in -> handler start (routing, quorum queue, consumer, inbox insert). Negative
  when the consumer had the message before the publisher had the whole batch's confirms;
- producer lag, event-loop lag, full garbage collections, new database connections and machine CPU,
  because both runtimes share this process's event loop and the machine's cores.

Prints figures, never asserts. Plain lines, then one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvloop
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bench.broker_leg import broker_leg
from contracts import Envelope, EventPayload
from contracts.errand import OrderCreatedV1
from errand.config import Settings as ErrandSettings
from gateway.config import Settings as GatewaySettings
from servicekit.db import UnitOfWork
from servicekit.logging import configure_logging
from servicekit.outbox import OutboxRelay
from servicekit.runtime import ServiceRuntime
from servicekit.serve import freeze_startup_heap
from servicekit.settings import BaseServiceSettings
from servicekit.tables import CREATE_NOTIFY_FUNCTION, CREATE_NOTIFY_TRIGGER, messaging_metadata
from servicekit.testing import delete_messaging, isolated_database, isolated_settings, new_namespace

DESCRIPTION = (
    "commit -> consuming handler's start, p50/p99 at a steady rate (target p99 <= 4 ms at 200/s, issue 16.5)"
)

EVENT_TYPE = OrderCreatedV1.event_type
DEFAULT_RATE = 200.0
DEFAULT_SECONDS = 30.0
DEFAULT_WARMUP = 1.0
DEFAULT_DRAIN_TIMEOUT = 30.0
TARGET_P99_MS = 4.0  # issue 16.5 (was 50 ms): p99 <= 4 ms at 200 events/s


# -- what is recorded -------------------------------------------------------------------------------
@dataclass
class Timeline:
    """perf_counter timestamps per event_id, from the producer, the relay and the handler."""

    scheduled: dict[uuid.UUID, float] = field(default_factory=dict)  # the deadline it was sent for
    committed: dict[uuid.UUID, float] = field(default_factory=dict)  # right after commit() returned
    batch_started: dict[uuid.UUID, float] = field(default_factory=dict)  # relay began its batch
    confirmed: dict[uuid.UUID, float] = field(default_factory=dict)  # relay had the batch's confirms
    handled: dict[uuid.UUID, float] = field(default_factory=dict)  # the handler's first line
    duplicates: int = 0  # the handler ran twice for one event (the inbox should keep this 0)
    send_errors: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    empty_batches: int = 0  # the relay woke and found nothing (the row went in an earlier batch)
    loop_lag: list[float] = field(default_factory=list)  # how late a 10 ms timer fired, while sending
    full_gc_pauses: list[float] = field(default_factory=list)  # generation-2 collections, while sending
    db_connects: list[float] = field(default_factory=list)  # new pooled connections, either runtime
    last_arrival: float = 0.0
    expected: int | None = None  # how many events were committed, once sending is over
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def record_handled(self, event_id: uuid.UUID, at: float) -> None:
        if event_id in self.handled:
            self.duplicates += 1
            return
        self.handled[event_id] = at
        self.last_arrival = at
        self.check_arrived()

    def check_arrived(self) -> None:
        if self.expected is not None and len(self.handled) >= self.expected:
            self.all_arrived.set()


class TimedRelay(OutboxRelay):
    """The production relay, timestamping each batch: when it started and when its confirms were in."""

    timeline: Timeline

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeline = Timeline()
        self._batch_started_at = 0.0

    async def publish_batch(self) -> int:
        self._batch_started_at = time.perf_counter()
        published = await super().publish_batch()
        if published == 0:
            self.timeline.empty_batches += 1
        return published

    async def _before_delete(self, rows: Any) -> None:
        confirmed = time.perf_counter()
        self.timeline.batch_sizes.append(len(rows))
        for row in rows:
            event_id = uuid.UUID(str(row.body["event_id"]))
            self.timeline.batch_started[event_id] = self._batch_started_at
            self.timeline.confirmed[event_id] = confirmed
        await super()._before_delete(rows)


async def watch_loop(timeline: Timeline, interval: float = 0.01) -> None:
    """Both runtimes share this event loop: anything that holds it delays every stage."""
    while True:
        expected = time.perf_counter() + interval
        await asyncio.sleep(interval)
        timeline.loop_lag.append(max(0.0, time.perf_counter() - expected))


@contextlib.contextmanager
def watch_full_gc(timeline: Timeline) -> Iterator[None]:
    """Record how long each generation-2 garbage collection stops the process."""
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            timeline.full_gc_pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(on_gc)
    try:
        yield
    finally:
        gc.callbacks.remove(on_gc)


def count_connects(engine: AsyncEngine, timeline: Timeline) -> None:
    event.listen(engine.sync_engine, "connect", lambda *_: timeline.db_connects.append(time.perf_counter()))


def machine_cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies over all CPUs from /proc/stat; None where there is no /proc."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


# -- statistics -------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, linear between closest ranks."""
    if not sorted_values:
        return float("nan")
    rank = (len(sorted_values) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 50) * 1000, 2),
        "p90": round(percentile(ordered, 90) * 1000, 2),
        "p99": round(percentile(ordered, 99) * 1000, 2),
        "max": round((ordered[-1] if ordered else float("nan")) * 1000, 2),
    }


# -- set-up -----------------------------------------------------------------------------------------
def bench_settings(settings_class: type[BaseServiceSettings], namespace: str, service_name: str) -> Any:
    # isolated_settings shortens the fallback poll for tests; keep production's so the figures are
    # what a deployed service gets (the poll only matters when a NOTIFY is lost).
    fallback_poll = BaseServiceSettings.model_fields["outbox_fallback_poll_seconds"].default
    return isolated_settings(
        settings_class,
        namespace=namespace,
        service_name=service_name,
        outbox_fallback_poll_seconds=fallback_poll,
    )


async def create_messaging_tables(settings: BaseServiceSettings) -> None:
    """The outbox (with its NOTIFY trigger) and the inbox, as a service's first migration makes them."""
    engine = create_async_engine(settings.database_url.get_secret_value(), poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)
            await conn.exec_driver_sql(CREATE_NOTIFY_FUNCTION)
            await conn.exec_driver_sql(CREATE_NOTIFY_TRIGGER)
    finally:
        await engine.dispose()


async def remove_messaging(settings: BaseServiceSettings) -> None:
    try:
        await delete_messaging(settings, settings.queue_name, settings.dead_letter_queue_name)
    except Exception as exc:  # never hide the run's own error behind a clean-up error
        print(f"event_latency: could not remove broker objects: {exc!r}", file=sys.stderr)


def new_payload() -> OrderCreatedV1:
    return OrderCreatedV1(
        community_id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        requester_id=uuid.uuid4(),
        order_type="buy",
        price_fen=1500,
    )


# -- the run ----------------------------------------------------------------------------------------
async def produce(
    runtime: ServiceRuntime, timeline: Timeline, *, rate: float, seconds: float
) -> tuple[float, float]:
    """Commit one event per unit of work on absolute deadlines. Returns (start, end of sending)."""
    total = round(rate * seconds)
    in_flight: set[asyncio.Task[None]] = set()

    async def send_one(deadline: float) -> None:
        try:
            async with runtime.uow() as uow:
                envelope = uow.emit(new_payload())
                await uow.commit()
            committed = time.perf_counter()
        except Exception as exc:
            timeline.send_errors.append(repr(exc))
            return
        timeline.committed[envelope.event_id] = committed
        timeline.scheduled[envelope.event_id] = deadline

    start = time.perf_counter() + 0.05
    for index in range(total):
        deadline = start + index / rate
        delay = deadline - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send_one(deadline))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    return start, time.perf_counter()


async def wait_for_all(timeline: Timeline, stall_limit: float) -> tuple[float, bool]:
    """Until every committed event reached the handler, or none arrived for ``stall_limit`` seconds.
    Returns (seconds waited, whether all arrived)."""
    started = time.perf_counter()
    timeline.expected = len(timeline.committed)
    timeline.check_arrived()
    while not timeline.all_arrived.is_set():
        quiet_until = max(timeline.last_arrival, started) + stall_limit
        remaining = quiet_until - time.perf_counter()
        if remaining <= 0:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(timeline.all_arrived.wait(), remaining)
    return time.perf_counter() - started, timeline.all_arrived.is_set()


@contextlib.asynccontextmanager
async def consumer_process(namespace: str, timeline: Timeline) -> AsyncIterator[None]:
    """The consuming service in a process of its own, as deployed. It prints one line per handled
    event, `<event_id> <perf_counter>`: perf_counter is CLOCK_MONOTONIC on Linux, one clock for
    every process of the machine, so its stamps compare with the producer's."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.event_latency",
        "--consumer-child",
        namespace,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    ready = await asyncio.wait_for(child.stdout.readline(), 60)
    if ready.strip() != b"ready":
        raise RuntimeError(f"the consumer process did not start: {ready!r}")

    async def read_handled() -> None:
        assert child.stdout is not None
        async for line in child.stdout:
            event_id, at = line.split()
            timeline.record_handled(uuid.UUID(event_id.decode()), float(at))

    reader = asyncio.create_task(read_handled())
    try:
        yield
    finally:
        child.terminate()
        await child.wait()
        reader.cancel()


async def run_consumer_child(namespace: str) -> None:
    settings = bench_settings(GatewaySettings, namespace, "gateway")
    out = sys.stdout

    async def on_event(envelope: Envelope, _event: EventPayload, _uow: UnitOfWork) -> None:
        out.write(f"{envelope.event_id} {time.perf_counter()}\n")  # first thing: handler start
        out.flush()

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with ServiceRuntime(settings, handlers={EVENT_TYPE: on_event}):
        freeze_startup_heap()
        out.write("ready\n")
        out.flush()
        await stop.wait()


async def run(
    *,
    rate: float,
    seconds: float,
    warmup: float,
    drain_timeout: float,
    target_ms: float,
    separate_consumer: bool = True,
) -> dict[str, Any]:
    namespace = f"bench{new_namespace()}"
    producer_settings = bench_settings(ErrandSettings, namespace, "errand")
    consumer_settings = bench_settings(GatewaySettings, namespace, "gateway")
    timeline = Timeline()

    async def on_event(envelope: Envelope, _event: EventPayload, _uow: UnitOfWork) -> None:
        timeline.record_handled(envelope.event_id, time.perf_counter())  # first thing: handler start

    async with contextlib.AsyncExitStack() as stack:
        # Unwinds in reverse: producer, consumer, databases, then the exchange and queues.
        stack.push_async_callback(remove_messaging, consumer_settings)
        await stack.enter_async_context(isolated_database(producer_settings))
        await stack.enter_async_context(isolated_database(consumer_settings))
        await create_messaging_tables(producer_settings)
        await create_messaging_tables(consumer_settings)
        # The consumer first: its queue must be bound before the first event is published.
        if separate_consumer:
            await stack.enter_async_context(consumer_process(namespace, timeline))
        else:
            consumer = await stack.enter_async_context(
                ServiceRuntime(consumer_settings, handlers={EVENT_TYPE: on_event})
            )
            count_connects(consumer.engine, timeline)
        producer = await stack.enter_async_context(ServiceRuntime(producer_settings, relay_class=TimedRelay))
        relay = producer.relay
        assert isinstance(relay, TimedRelay)
        relay.timeline = timeline
        count_connects(producer.engine, timeline)

        # As a served process does (servicekit.serve): start-up objects leave the cyclic collector.
        freeze_startup_heap()
        load_before = os.getloadavg()[0]
        ticks_before = machine_cpu_ticks()
        cpu_before = time.process_time()
        watcher = asyncio.create_task(watch_loop(timeline))
        try:
            with watch_full_gc(timeline):
                send_start, send_end = await produce(producer, timeline, rate=rate, seconds=seconds)
        finally:
            watcher.cancel()
        process_cpu = (time.process_time() - cpu_before) / max(time.perf_counter() - send_start, 1e-9)
        ticks_after = machine_cpu_ticks()
        load_after = os.getloadavg()[0]
        drain_seconds, _all_arrived = await wait_for_all(timeline, drain_timeout)

    machine_busy = None
    if ticks_before is not None and ticks_after is not None and ticks_after[1] > ticks_before[1]:
        machine_busy = (ticks_after[0] - ticks_before[0]) / (ticks_after[1] - ticks_before[1])
    machine = {
        "cpus": os.cpu_count(),
        "cpu_busy_while_sending": None if machine_busy is None else round(machine_busy, 3),
        "process_cpu_while_sending": round(process_cpu, 3),
        "loadavg_1m_before": round(load_before, 2),
        "loadavg_1m_after": round(load_after, 2),
    }
    return summarise(
        timeline,
        producer_settings=producer_settings,
        consumer_settings=consumer_settings,
        rate=rate,
        seconds=seconds,
        warmup=warmup,
        send_window=(send_start, send_end),
        drain_seconds=drain_seconds,
        target_ms=target_ms,
        machine=machine,
    )


def summarise(
    timeline: Timeline,
    *,
    producer_settings: BaseServiceSettings,
    consumer_settings: BaseServiceSettings,
    rate: float,
    seconds: float,
    warmup: float,
    send_window: tuple[float, float],
    drain_seconds: float,
    target_ms: float,
    machine: dict[str, Any],
) -> dict[str, Any]:
    send_start, send_end = send_window
    sent = len(timeline.committed)
    received = len(timeline.committed.keys() & timeline.handled.keys())
    measured = [
        event_id
        for event_id, committed in timeline.committed.items()
        if committed - send_start >= warmup and event_id in timeline.handled
    ]
    latency = summary_ms([timeline.handled[e] - timeline.committed[e] for e in measured])
    staged = [e for e in measured if e in timeline.confirmed]
    batches = timeline.batch_sizes
    return {
        "benchmark": "event_latency",
        "event_type": EVENT_TYPE,
        "producer": producer_settings.service_name,
        "consumer": consumer_settings.service_name,
        "rate": rate,
        "seconds": seconds,
        "warmup_seconds": warmup,
        "sent": sent,
        "received": received,
        "lost": sent - received,
        "duplicates": timeline.duplicates,
        "send_errors": len(timeline.send_errors),
        "first_send_error": timeline.send_errors[0] if timeline.send_errors else None,
        "achieved_rate": round(sent / (send_end - send_start), 1) if send_end > send_start else 0.0,
        "drain_seconds": round(drain_seconds, 2),
        "measured": len(measured),
        "p50_ms": latency["p50"],
        "p90_ms": latency["p90"],
        "p99_ms": latency["p99"],
        "max_ms": latency["max"],
        "target_p99_ms": target_ms,
        "target_met": bool(measured) and sent == received and latency["p99"] <= target_ms,
        "stages_ms": {
            "outbox_wait": summary_ms([timeline.batch_started[e] - timeline.committed[e] for e in staged]),
            "publish_confirm": summary_ms(
                [timeline.confirmed[e] - timeline.batch_started[e] for e in staged]
            ),
            "delivery": summary_ms([timeline.handled[e] - timeline.confirmed[e] for e in staged]),
            "producer_lag": summary_ms([timeline.committed[e] - timeline.scheduled[e] for e in measured]),
            "loop_lag": summary_ms(timeline.loop_lag),
        },
        "relay": {
            "batches": len(batches),
            "mean_batch": round(sum(batches) / len(batches), 1) if batches else 0.0,
            "max_batch": max(batches, default=0),
            "empty_wakeups": timeline.empty_batches,
            "outbox_batch_size": producer_settings.outbox_batch_size,
        },
        "consumer_prefetch": consumer_settings.consumer_prefetch,
        "full_gc": {
            "count": len(timeline.full_gc_pauses),
            "longest_ms": round(max(timeline.full_gc_pauses, default=0.0) * 1000, 1),
        },
        "db_connects_while_sending": sum(1 for at in timeline.db_connects if send_start <= at <= send_end),
        "machine": machine,
    }


def print_report(result: dict[str, Any]) -> None:
    stages = result["stages_ms"]
    relay = result["relay"]
    machine = result["machine"]

    def stage(name: str) -> str:
        s = stages[name]
        return f"p50 {s['p50']:7.1f}  p99 {s['p99']:7.1f}  max {s['max']:7.1f} ms"

    busy = machine["cpu_busy_while_sending"]
    lost_note = "" if result["lost"] == 0 else "   <-- should be 0"
    lines = [
        f"event_latency: commit -> handler start ({result['producer']} -> {result['consumer']}, "
        f"{result['event_type']})",
        f"  load              {result['rate']:g} events/s for {result['seconds']:g} s, "
        "one event per unit of work",
        f"  warm-up           events committed in the first {result['warmup_seconds']:g} s "
        "are sent, not counted",
        f"  events sent       {result['sent']}"
        + (
            f"  ({result['send_errors']} commits failed: {result['first_send_error']})"
            if result["send_errors"]
            else ""
        ),
        f"  events received   {result['received']}",
        f"  events lost       {result['lost']}{lost_note}",
        f"  duplicates        {result['duplicates']}",
        f"  achieved rate     {result['achieved_rate']:.1f} events/s",
        f"  measured events   {result['measured']}",
        f"  last event in     {result['drain_seconds']:.2f} s after sending ended"
        + ("" if result["lost"] == 0 else " (then gave up: nothing more arrived)"),
        f"  latency p50       {result['p50_ms']:7.1f} ms",
        f"  latency p90       {result['p90_ms']:7.1f} ms",
        f"  latency p99       {result['p99_ms']:7.1f} ms",
        f"  latency max       {result['max_ms']:7.1f} ms",
        f"  target            p99 <= {result['target_p99_ms']:g} ms with nothing lost: "
        + ("met" if result["target_met"] else "NOT met"),
        "  where the time goes (the same events):",
        f"    outbox wait       commit -> relay starts the batch      {stage('outbox_wait')}",
        f"    publish+confirm   batch start -> confirms in            {stage('publish_confirm')}",
        f"    delivery          confirms in -> handler start          {stage('delivery')}",
        f"    producer lag      deadline -> commit returned           {stage('producer_lag')}",
        f"    event-loop lag    a 10 ms timer fires late by           {stage('loop_lag')}",
        f"  relay             {relay['batches']} batches, mean {relay['mean_batch']:.1f} events, max "
        f"{relay['max_batch']} (outbox_batch_size {relay['outbox_batch_size']}); "
        f"{relay['empty_wakeups']} wake-ups found nothing",
        f"  consumer          prefetch {result['consumer_prefetch']}",
        f"  process           {result['full_gc']['count']} full garbage collections while sending, longest "
        f"{result['full_gc']['longest_ms']:.1f} ms; {result['db_connects_while_sending']} new database "
        f"connections while sending",
        f"  machine           {machine['cpus']} CPUs"
        + (f", {busy:.0%} busy while sending" if busy is not None else "")
        + f"; this process used {machine['process_cpu_while_sending']:.0%} of one CPU; load average "
        f"{machine['loadavg_1m_before']:.2f} before, {machine['loadavg_1m_after']:.2f} after",
    ]
    print("\n".join(lines))
    print(json.dumps(result, ensure_ascii=False, separators=(",", ":")), flush=True)


# -- command line -----------------------------------------------------------------------------------
def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench event_latency", description=DESCRIPTION)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="events per second (default 200)")
    parser.add_argument(
        "--seconds", type=float, default=DEFAULT_SECONDS, help="how long to send (default 30)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=DEFAULT_WARMUP,
        help="events committed in the first this many seconds are not counted (default 1)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=DEFAULT_DRAIN_TIMEOUT,
        help="after sending, give up once no event arrived for this many seconds (default 30)",
    )
    parser.add_argument(
        "--target-p99-ms", type=float, default=TARGET_P99_MS, help="the p99 target in ms (default 4)"
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="run the consumer in this process too (default: its own process, as deployed)",
    )
    parser.add_argument("--consumer-child", metavar="NAMESPACE", help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv))
    if args.rate <= 0 or args.seconds <= 0 or not 0 <= args.warmup < args.seconds or args.drain_timeout <= 0:
        parser.error("need --rate > 0, --seconds > 0, 0 <= --warmup < --seconds and --drain-timeout > 0")
    return args


def main(argv: Sequence[str] = ()) -> int:
    args = parse_args(argv)
    if args.consumer_child:
        configure_logging("bench-consumer", "WARNING")
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(run_consumer_child(args.consumer_child))
        return 0
    # Service logs (JSON) go to stderr at WARNING and above, so stdout holds only the figures.
    configure_logging("bench", "WARNING")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    try:
        # uvloop, as the services run under uvicorn[standard] (servicekit.serve).
        result = uvloop.run(
            run(
                rate=args.rate,
                seconds=args.seconds,
                warmup=args.warmup,
                drain_timeout=args.drain_timeout,
                target_ms=args.target_p99_ms,
                separate_consumer=not args.one_process,
            )
        )
    except KeyboardInterrupt:
        print("event_latency: interrupted (databases and broker objects removed)", file=sys.stderr)
        return 130
    print_report(result)
    # The limit beside it, same run: RabbitMQ's own publish -> consume at the same rate (issue 16.5).
    leg = uvloop.run(broker_leg(args.rate, min(args.seconds, 10.0)))
    print(
        f"  broker leg        aio-pika publish (confirms, persistent) -> consumer callback, quorum queue, "
        f"{args.rate:g}/s for {min(args.seconds, 10.0):g} s, same run: p50 {leg.get('p50_ms')} ms, "
        f"p99 {leg.get('p99_ms')} ms, max {leg.get('max_ms')} ms ({leg.get('received')}/{leg.get('sent')})"
    )
    print(json.dumps({"broker_leg": leg}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
