"""`make bench`: how fast Luz answers, measured through the whole path, beside bare Rasa.

For each profile (embedded; production when PostgreSQL is reachable) the script starts the product
against a fresh database with its channels pointed at a local Twilio emulator, then CONVERSATIONS demo
customers at a time hold whole conversations through signed WhatsApp webhooks, twice: at capacity
(each writes again when the reply arrives) and paced at RATE messages per second in all. It reports
throughput, reply latency p50/p95/p99 (webhook POST to the reply arriving at the provider) and the
peak memory of every process. The floor is Rasa's own stack on the same model and demo customers
(`rasa run` with the REST channel and an in-memory tracker store, plus the same action server),
loaded the same way at capacity.

    python -m scripts.bench [--conversations 50] [--rate 25] [--seconds 60] [--profiles floor,embedded,production]

Writes the figures into docs/benchmarks.md, between its "bench" markers (the analysis around them is
kept). A benchmark, not a test: it prints numbers and never fails on them.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Dict, Iterator, List, Optional, Tuple

import httpx
import psutil
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulators import TwilioEmulator, free_port, free_ports  # noqa: E402
from tests.product import SMS_FROM, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM  # noqa: E402

MESSAGES = ["hola", "cuánto debo", "cuándo vence mi factura", "dónde puedo pagar", "gracias",
            "hay cortes programados en mi zona", "cuáles son los horarios de las oficinas", "chao"]
PG_ADMIN = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@dataclass
class Result:
    name: str
    rate: Optional[float] = None  # the offered load of a paced run; None: capacity (closed loop)
    messages: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: List[float] = field(default_factory=list)
    peak_rss_mb: Dict[str, float] = field(default_factory=dict)
    cpu_seconds: Dict[str, float] = field(default_factory=dict)  # used during the measured window, by whom

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Replies:
    """Futures completed when the emulator receives a message for a phone (called from its thread)."""

    def __init__(self, emulator: TwilioEmulator, loop: asyncio.AbstractEventLoop) -> None:
        self.waiting: Dict[str, asyncio.Future] = {}
        self.loop = loop
        original = emulator.record

        def record(item: Dict) -> None:
            original(item)
            future = self.waiting.pop(str(item.get("to")), None)
            if future is not None:
                loop.call_soon_threadsafe(lambda: None if future.done() else future.set_result(time.perf_counter()))

        emulator.record = record  # type: ignore[method-assign]  # listen to what the emulator records

    def expect(self, address: str) -> asyncio.Future:
        future = self.loop.create_future()
        self.waiting[address] = future
        return future


class MemoryWatch(threading.Thread):
    """Samples the RSS of a process tree; keeps each process's peak, labelled by what it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.running = pid, True
        self.peaks: Dict[str, float] = {}

    @staticmethod
    def label(process: psutil.Process) -> str:
        line = " ".join(process.cmdline())
        for needle, name in (("rasa_sdk", "action server"), ("rasa run", "rasa server"), ("uvicorn", "web service"),
                             ("kpi-consumer", "kpi consumer"), ("nginx", "nginx"), ("bot run", "supervisor")):
            if needle in line:
                port = line.split("--port ")[1].split()[0] if "--port " in line else ""
                return f"{name} {port}".strip()
        return process.name()

    def run(self) -> None:
        while self.running:
            try:
                root = psutil.Process(self.pid)
                for process in [root, *root.children(recursive=True)]:
                    try:
                        label = self.label(process)
                        self.peaks[label] = max(self.peaks.get(label, 0), process.memory_info().rss / 2 ** 20)
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            time.sleep(0.5)


SERVICES = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ", "redis-server": "Redis"}
LOAD_GENERATOR, OTHERS = "load generator + Twilio emulator", "other processes"


def cpu_snapshot(roots: List[int]) -> Dict[int, Tuple[str, float]]:
    """CPU seconds used so far by every process of the machine, labelled by who it is: a process of the
    product (as in the memory figures), a local service, this load generator, or anything else."""
    product = set()
    for pid in roots:
        try:
            root = psutil.Process(pid)
            product |= {p.pid for p in [root, *root.children(recursive=True)]}
        except psutil.Error:
            pass
    used = {}
    for process in psutil.process_iter():
        try:
            times = process.cpu_times()
            if process.pid in product:
                label = MemoryWatch.label(process)
            elif process.pid == os.getpid():
                label = LOAD_GENERATOR
            else:
                label = SERVICES.get(process.name(), OTHERS)
            used[process.pid] = (label, times.user + times.system)
        except psutil.Error:
            continue
    return used


def cpu_used(before: Dict[int, Tuple[str, float]], after: Dict[int, Tuple[str, float]]) -> Dict[str, float]:
    """CPU seconds used between two snapshots, summed by label (a process started between them counts whole)."""
    used: Dict[str, float] = {}
    for pid, (label, seconds) in after.items():
        used[label] = used.get(label, 0.0) + max(0.0, seconds - before.get(pid, (label, 0.0))[1])
    return used


def wait_for(urls: List[str], process: subprocess.Popen, timeout: float = 480) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the process exited while starting (code {process.returncode})")
        try:
            if all(httpx.get(url, timeout=2).status_code == 200 for url in urls):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"not ready after {timeout} s: {urls}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def phones(count: int, database_url: str) -> List[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT number FROM phones ORDER BY id LIMIT :n"), {"n": count}).all()
    engine.dispose()
    return [row[0] for row in rows]


async def drive(base: str, send_one: SendOne, phones: Iterator[str], args, result: Result,
                rate: Optional[float], roots: List[int]) -> None:
    """Runs CONVERSATIONS customers at once. Each has a whole conversation (the MESSAGES script) with a
    demo phone, then the next customer takes the next phone, as a real queue of customers would.

    Without a rate, each customer writes again as soon as the reply arrives (capacity). With a rate,
    each writes every CONVERSATIONS / rate seconds, as people who read and type (the issue's load:
    that many messages per second from that many conversations), and latency shows any queueing.
    """
    interval = args.conversations / rate if rate else 0.0
    started = time.perf_counter()
    measure_from, measure_to = started + args.warmup, started + args.warmup + args.seconds

    async def customer(client: httpx.AsyncClient, slot: int) -> None:
        next_send = started + random.Random(slot).uniform(0, interval)
        while True:
            phone = next(phones)
            for text in MESSAGES:
                await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
                sent = time.perf_counter()
                if sent >= measure_to:
                    return
                took = await send_one(client, phone, text)
                if sent >= measure_from:
                    result.messages += 1
                    if took is None:
                        result.errors += 1
                    else:
                        result.latencies_ms.append(took * 1000)
                next_send = sent + interval if interval else time.perf_counter()

    async def account_cpu() -> None:
        """Who used the machine's CPU during the measured window (the product, services, anything else)."""
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        before = await asyncio.to_thread(cpu_snapshot, roots)
        await asyncio.sleep(max(0.0, measure_to - time.perf_counter()))
        result.cpu_seconds = cpu_used(before, await asyncio.to_thread(cpu_snapshot, roots))

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=200)) as client:
        await asyncio.gather(account_cpu(), *[customer(client, slot) for slot in range(args.conversations)])
    result.seconds = args.seconds


def webhook_sender(public: str, replies: Replies) -> SendOne:
    """A signed WhatsApp webhook; the time until the reply reaches the Twilio emulator."""
    validator = RequestValidator(TWILIO_TOKEN)

    async def send_one(client: httpx.AsyncClient, phone: str, text: str) -> Optional[float]:
        form = {"MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": TWILIO_SID, "From": f"whatsapp:{phone}",
                "To": WHATSAPP_FROM, "Body": text, "NumMedia": "0"}
        signature = validator.compute_signature(f"{public}/webhooks/whatsapp/webhook", form)
        arrived = replies.expect(f"whatsapp:{phone}")
        sent = time.perf_counter()
        try:
            response = await client.post("/webhooks/whatsapp/webhook", data=form, headers={"X-Twilio-Signature": signature})
            return (await asyncio.wait_for(arrived, 30)) - sent if response.status_code == 200 else None
        except (httpx.HTTPError, asyncio.TimeoutError):
            return None

    return send_one


async def rest_send(client: httpx.AsyncClient, phone: str, text: str) -> Optional[float]:
    """Bare Rasa's REST channel: the reply is the HTTP response."""
    sent = time.perf_counter()
    try:
        response = await client.post("/webhooks/rest/webhook", json={"sender": phone, "message": text})
    except httpx.HTTPError:
        return None
    return time.perf_counter() - sent if response.status_code == 200 else None


SendOne = Callable[[httpx.AsyncClient, str, str], Awaitable[Optional[float]]]


def modes(args) -> List[Tuple[str, Optional[float]]]:
    """(label, rate): the capacity run, then the paced run at the target rate."""
    return [("capacity", None), (f"paced {args.rate:g} msg/s", args.rate)]


def run_profile(name: str, args, emulator: TwilioEmulator) -> List[Result]:
    tmp = Path(tempfile.mkdtemp(prefix=f"luz-bench-{name}-"))
    rasa, action, web = free_ports(2), free_ports(2), free_port()  # replicas take port and port + 1
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_PORT": str(rasa), "ACTION_PORT": str(action),
           "WEB_PORT": str(web), "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
           "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM, "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": emulator.url,
           "LUZ_SCHEDULER": "off", "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("LUZ_CLOCK_OFFSET", None)  # the real time: the tests' conftest (imported above) moves the clock
    database = None
    if name == "production":
        from sqlalchemy import create_engine, text

        database = f"luz_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
        public = free_port()
        env.update({"DATABASE_URL": url, "TRACKER_STORE_URL": url, "LUZ_PUBLIC_PORT": str(public),
                    # Twilio signs the https public address; the bench reaches nginx on its port (a TLS proxy would).
                    "LUZ_ACTION_PROXY_PORT": str(free_port()), "PUBLIC_BASE_URL": "https://luz.energiadelvalle.example",
                    "REDIS_URL": "redis://127.0.0.1:6379/8", "LUZ_EVENTS_QUEUE": f"luz_events_{database}",
                    "LUZ_RUN_DIR": str(tmp / "run"),
                    # the profile refuses to start without long secrets of its own
                    "LUZ_ACTION_SECRET": secrets.token_urlsafe(32), "LUZ_SIGNING_SECRET": secrets.token_urlsafe(32),
                    "LUZ_SESSION_SECRET": secrets.token_urlsafe(32)})
        env.pop("LUZ_RASA_CREDENTIALS", None)
        command = [sys.executable, "-m", "bot", "run", "--profile", "production"]
        base = f"http://127.0.0.1:{public}"
        ready = [f"{base}/status", f"http://127.0.0.1:{rasa + 1}/", f"{base}/health"]
    else:
        env.update({"DATABASE_URL": f"sqlite:///{tmp / 'luz.db'}", "TRACKER_STORE_URL": f"sqlite:///{tmp / 'tracker.db'}",
                    "PUBLIC_BASE_URL": f"http://127.0.0.1:{rasa}",
                    # explicit: the tests' conftest (imported for the emulator) puts a default one in os.environ
                    "ACTION_SERVER_URL": f"http://127.0.0.1:{action}/webhook"})
        command = [sys.executable, "-m", "bot", "run"]
        base = f"http://127.0.0.1:{rasa}"
        ready = [f"{base}/", f"http://127.0.0.1:{action}/health", f"http://127.0.0.1:{web}/health"]
    subprocess.run([sys.executable, "-m", "bot", "db", "setup", "--demo", "--customers", str(max(1000, args.conversations * 20))],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    if database:  # production refuses the demo agents and API key: retired as an operator would
        from sqlalchemy import create_engine, text

        engine = create_engine(env["DATABASE_URL"])
        with engine.begin() as connection:
            connection.execute(text("UPDATE agents SET active = false"))
            connection.execute(text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP"))
        engine.dispose()
    log = open(tmp / "product.log", "w")  # noqa: SIM115 - the product writes to it for its whole run
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    results = []
    try:
        wait_for(ready, process)
        watch = MemoryWatch(process.pid)
        watch.start()
        numbers = itertools.cycle(phones(10 ** 6, env["DATABASE_URL"]))

        async def measure() -> None:
            replies = Replies(emulator, asyncio.get_running_loop())
            for label, rate in modes(args):
                result = Result(f"{name}, {label}", rate=rate)
                await drive(base, webhook_sender(env["PUBLIC_BASE_URL"], replies), numbers, args, result, rate,
                            [process.pid])
                results.append(result)
                announce(result)

        asyncio.run(measure())
        watch.running = False
        for result in results:
            result.peak_rss_mb = dict(sorted(watch.peaks.items()))
    finally:
        stop(process)
        log.close()
        failed = (tmp / "product.log").read_text(errors="replace").count("Failed to run custom action")
        if failed:  # a run whose actions failed measures apologies, not answers
            print(f"   WARNING: {failed} action calls failed during the run (see {tmp / 'product.log'})", flush=True)
            for result in results:
                result.errors += failed
        if database:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            subprocess.run(["rabbitmqctl", "delete_queue", env["LUZ_EVENTS_QUEUE"]], capture_output=True)
    return results


def run_floor(args) -> Result:
    """Rasa's own stack on the same model: `rasa run` (REST channel, in-memory tracker store, no event
    broker) and the same action server on the same records, without Luz's channels, stores and broker."""
    tmp = Path(tempfile.mkdtemp(prefix="luz-bench-floor-"))
    port, action = free_port(), free_port()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": f"sqlite:///{tmp / 'luz.db'}", "LUZ_SCHEDULER": "off"}
    env.pop("LUZ_CLOCK_OFFSET", None)
    subprocess.run([sys.executable, "-m", "bot", "db", "setup", "--demo", "--customers", str(max(1000, args.conversations * 20))],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    (tmp / "endpoints.yml").write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action}/webhook\n")
    rasa = str(Path(sys.executable).with_name("rasa"))
    log = open(tmp / "rasa.log", "w")  # noqa: SIM115 - the servers write to it for their whole run
    actions = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action)],
                               env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process = subprocess.Popen([rasa, "run", "--model", str(ROOT / "models" / "luz.tar.gz"), "--enable-api",
                                "--endpoints", str(tmp / "endpoints.yml"), "--port", str(port)],
                               env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    result = Result("floor: bare Rasa REST + action server, capacity")
    try:
        wait_for([f"http://127.0.0.1:{port}/status", f"http://127.0.0.1:{action}/health"], process)
        watch = MemoryWatch(process.pid)
        watch.start()
        numbers = itertools.cycle(phones(10 ** 6, env["DATABASE_URL"]))
        asyncio.run(drive(f"http://127.0.0.1:{port}", rest_send, numbers, args, result, None, [process.pid, actions.pid]))
        announce(result)
        watch.running = False
        result.peak_rss_mb = dict(sorted(watch.peaks.items()))
    finally:
        stop(process)
        stop(actions)
        log.close()
    failed = (tmp / "rasa.log").read_text(errors="replace").count("Failed to run custom action")
    if failed:
        print(f"   WARNING: {failed} action calls failed during the floor run (see {tmp / 'rasa.log'})", flush=True)
        result.errors += failed
    return result


def announce(result: Result) -> None:
    print(f"   {result.name}: {result.messages} messages, {result.errors} errors, {result.throughput:.1f} msg/s, "
          f"p50 {result.pct(50):.0f} ms, p95 {result.pct(95):.0f} ms, p99 {result.pct(99):.0f} ms", flush=True)
    others = result.cpu_seconds.get(OTHERS, 0.0) / result.seconds if result.seconds else 0.0
    if others > 0.1:
        print(f"   WARNING: other processes used {others:.2f} CPU cores during this run; its figures are "
              "pessimistic (run the benchmark alone)", flush=True)


def cpu_line(result: Result) -> str:
    """CPU milliseconds per message by process, and how busy the machine was, during one run."""
    if not result.messages or not result.seconds:
        return f"- {result.name}: no messages"
    per_message = sorted(((seconds * 1000 / result.messages, label) for label, seconds in result.cpu_seconds.items()
                          if label != OTHERS), reverse=True)
    busy = sum(result.cpu_seconds.values()) / result.seconds / (os.cpu_count() or 1) * 100
    others = result.cpu_seconds.get(OTHERS, 0.0) / result.seconds * 100
    return (f"- {result.name}: " + ", ".join(f"{label} {ms:.1f}" for ms, label in per_message if ms >= 0.05)
            + f"; machine {busy:.0f} % busy, other processes {others:.0f} % of one core")


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return (f"{os.cpu_count()} CPU cores ({model}), {psutil.virtual_memory().total / 2 ** 30:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def report(results: List[Result], args, load_average: str) -> str:
    floor = next((r for r in results if r.name.startswith("floor")), None)
    lines = [
        f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} with `make bench` (`scripts/bench.py`): "
        f"{args.conversations} conversations at once, each a whole conversation of {len(MESSAGES)} messages "
        f"with a demo customer, then the next customer. Two runs per configuration, each {args.warmup:.0f} s "
        f"warm-up then {args.seconds:.0f} s measured: **capacity** (each customer writes again as soon as the "
        f"reply arrives) and **paced** (each customer writes every {args.conversations / args.rate:g} s: "
        f"{args.rate:g} messages per second offered, the issue's target load).",
        "", f"Machine: {machine()}. Load average before the run: {load_average}.", "",
        "Latency: from the signed WhatsApp webhook POST to the reply reaching the Twilio emulator (the full path: "
        "channel, Rasa, action server, database, provider client). The floor: Rasa's own stack on the same model "
        "and the same demo customers: `rasa run` with its REST channel, in-memory tracker store and no event "
        "broker, and the same action server (the reply is the HTTP response); no Luz channel, tracker store, "
        "broker, records of messages or provider client.", "",
        "| configuration | messages | errors | throughput (msg/s) | p50 (ms) | p95 (ms) | p99 (ms) | vs floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        comparable = floor is not None and floor.throughput and r is not floor and r.rate is None
        share = f"{r.throughput / floor.throughput * 100:.0f} %" if floor is not None and comparable else "—"
        lines.append(f"| {r.name} | {r.messages} | {r.errors} | {r.throughput:.1f} | {r.pct(50):.0f} | "
                     f"{r.pct(95):.0f} | {r.pct(99):.0f} | {share} |")
    lines += ["", "CPU per reply, in milliseconds of one core, by process (the load generator and the Twilio emulator "
              "share the machine and are counted too), and how busy the machine was:", ""]
    lines += [cpu_line(r) for r in results]
    lines += ["", "Peak memory (RSS) per process, over both runs:", ""]
    for r in results:
        if r.rate is None:
            lines.append(f"- {r.name.split(',')[0]}: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in r.peak_rss_mb.items()))
    return "\n".join(lines) + "\n"


START, END = "<!-- bench:start (written by scripts/bench.py) -->", "<!-- bench:end -->"


def write_between_markers(path: Path, text: str) -> None:
    """Replaces the measured part of the page, keeping the analysis written around it."""
    page = path.read_text(encoding="utf-8") if path.exists() else f"{START}\n{END}\n"
    if START not in page or END not in page:
        page = f"{START}\n{END}\n\n" + page
    before, rest = page.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{text}{END}{after}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--rate", type=float, default=25, help="offered messages per second of the paced run")
    parser.add_argument("--profiles", default="floor,embedded,production")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    emulator = TwilioEmulator().start()
    results = []
    try:
        for name in args.profiles.split(","):
            print(f"== {name}: starting", flush=True)
            results += [run_floor(args)] if name == "floor" else run_profile(name, args, emulator)
    finally:
        emulator.stop()
    text = report(results, args, load_average)
    write_between_markers(Path(args.out), text)
    print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
