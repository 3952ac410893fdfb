"""`make storm`: a storm night at a utility's scale, measured on PostgreSQL (issue 22).

1. Seeds a large population (``--customers``, 200,000 by default) and a small one (``--small``) in fresh
   PostgreSQL databases, and times the large seed.
2. Journey latency on both: the real journeys (``ActionRunJourney``: balance, outage status) run in this
   process against each database, p50/p95 in ms (the database's share of a reply; NLU and HTTP are
   `make bench`'s).
3. Trouble-call grouping: ``--reports`` no-power reports from ``--transformers`` transformers within 10
   minutes of the product's clock, through the real outage journey (8 at a time): suspected outages opened,
   supplies with two tickets (target 0), reporters told it is known.
4. The fan-out: the web service (a child process, production-like settings, the Twilio and Telegram
   emulators, provider rates set high) gets ``POST /api/v1/outages`` on zones with about ``--affected``
   customers: time to its answer (target < 1 s) and until every notice is queued (target < 30 s); then the
   dispatcher's own capacity, notices handed to the emulators per second (target >= 300).

Prints the figures and writes them into docs/storm.md between its markers. A benchmark, not a test: run it
alone on the machine; it never fails on a figure.

    python -m scripts.storm [--customers 200000] [--small 2000] [--affected 80000] [--reports 2000]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

import httpx
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import clock  # noqa: E402
from bot.db import models as m  # noqa: E402
from bot.db.engine import create_engine, engine_for, session_scope  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.demo.seed import seed  # noqa: E402
from bot.settings import get_settings  # noqa: E402
from bot.web.api import create_key  # noqa: E402
from tests.emulators import TelegramEmulator, TwilioEmulator, free_port  # noqa: E402
from tests.product import SMS_FROM, TELEGRAM_SECRET, TELEGRAM_TOKEN, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM  # noqa: E402

PG_ADMIN = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DOC = ROOT / "docs" / "storm.md"


def database(name: str) -> str:
    admin = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def drop(name: str) -> None:
    admin = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seeded(name: str, customers: int) -> Tuple[str, float]:
    url = database(name)
    upgrade(url)
    engine = create_engine(url)
    started = time.monotonic()
    seed(engine, seed=20261205, customers=customers)
    took = time.monotonic() - started
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return url, took


def use(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    engine_for.cache_clear()


def run_journey(journey: str, number: str, phone: str, domain: Dict) -> Tuple[float, str]:
    """One journey of an identified customer, as the action server runs it: its time (ms) and what was said."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.journeys import ActionRunJourney

    tracker = Tracker(sender_id=phone, slots={"account_number": number, "account_verified": True, "journey": journey},
                      latest_message={"intent": {"name": journey, "confidence": 1.0}, "entities": [], "text": ""},
                      events=[{"event": "user", "text": "", "parse_data": {}}], paused=False, followup_action=None,
                      active_loop={}, latest_action_name="action_listen")
    dispatcher = CollectingDispatcher()
    started = time.perf_counter()
    asyncio.run(ActionRunJourney().run(dispatcher, tracker, domain))
    return (time.perf_counter() - started) * 1000, "\n".join(message.get("text") or "" for message in dispatcher.messages)


def journey_latency(url: str, domain: Dict, samples: int) -> Dict[str, float]:
    use(url)
    with session_scope(engine_for(url)) as session:
        accounts = session.execute(select(m.Account.account_number).where(m.Account.status == m.AccountStatus.active)
                                   .order_by(func.random()).limit(samples)).scalars().all()
    for number in accounts[:10]:  # warm: imports, connections, caches
        run_journey("check_balance", number, "+573109990000", domain)
    times = [run_journey(journey, number, "+573109990000", domain)[0]
             for number in accounts for journey in ("check_balance", "outage_status")]
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "samples": len(times)}


def grouping(url: str, domain: Dict, reports: int, transformers: int) -> Dict[str, int]:
    """``reports`` no-power reports from supplies behind ``transformers`` transformers, spread over 10 minutes."""
    use(url)
    with session_scope(engine_for(url)) as session:
        active = select(m.Outage.id).where(m.Outage.status == m.OutageStatus.active)
        busy_zones = select(m.OutageArea.zone_id).where(m.OutageArea.outage_id.in_(active))
        chosen = session.execute(select(m.Transformer.id).join(m.Feeder).where(m.Feeder.zone_id.not_in(busy_zones))
                                 .order_by(func.random()).limit(transformers)).scalars().all()
        supplies = session.execute(select(m.Account.account_number, m.Account.transformer_id).where(
            m.Account.transformer_id.in_(chosen), m.Account.status == m.AccountStatus.active)).all()
    rng = random.Random(7)
    rng.shuffle(supplies)
    plan = supplies[:reports]
    start = clock.now()
    answers: List[str] = []
    lock = threading.Lock()

    def one(index: int, number: str) -> None:
        _, said = run_journey("report_outage", number, f"+5731055{index:05d}", domain)
        with lock:
            answers.append(said)

    with clock.travel_to(start) as now:
        threads: List[threading.Thread] = []
        for index, (number, _) in enumerate(plan):
            now.instant = start + dt.timedelta(seconds=600 * index / max(1, len(plan)))  # 10 minutes of reports
            thread = threading.Thread(target=one, args=(index, number))
            thread.start()
            threads.append(thread)
            if len(threads) >= 8:
                threads.pop(0).join()
        for thread in threads:
            thread.join()
    with session_scope(engine_for(url)) as session:
        opened = session.execute(select(func.count()).select_from(m.SuspectedOutage)).scalar_one()
        twice = session.execute(select(func.count()).select_from(
            select(m.OutageReport.account_id).where(m.OutageReport.kind == "no_power", m.OutageReport.ticket.is_not(None))
            .group_by(m.OutageReport.account_id).having(func.count() > 1).subquery())).scalar_one()
        tickets = session.execute(select(func.count()).select_from(m.OutageReport).where(
            m.OutageReport.kind == "no_power", m.OutageReport.ticket.is_not(None))).scalar_one()
    return {"reports": len(plan), "transformers": len({t for _, t in plan}), "suspected_opened": opened,
            "tickets": tickets, "supplies_with_two_tickets": twice,
            "told_known": sum("Ya sabemos de una falla" in said for said in answers),
            "apologies": sum("Lo siento" in said for said in answers)}


def zones_for(url: str, affected: int) -> Tuple[List[str], int]:
    with session_scope(engine_for(url)) as session:
        sizes = session.execute(select(m.Zone.code, func.count(m.Account.id)).join(m.Account, m.Account.zone_id == m.Zone.id)
                                .group_by(m.Zone.code).order_by(m.Zone.code)).all()
    chosen, total = [], 0
    for code, size in sizes:
        if total >= affected:
            break
        chosen.append(code)
        total += size
    return chosen, total


def fan_out(url: str, affected: int, window: float) -> Dict[str, float]:
    twilio, telegram = TwilioEmulator().start(), TelegramEmulator().start()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "WEB_PORT": str(port),
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LUZ_QUIET_HOURS": "00:00-00:00",
           "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
           "TWILIO_SMS_FROM": SMS_FROM, "TWILIO_API_BASE_URL": twilio.url, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TELEGRAM_API_BASE_URL": telegram.url,
           "LUZ_RATE_TWILIO": "100000", "LUZ_RATE_TELEGRAM": "100000"}
    env.pop("LUZ_CLOCK_OFFSET", None)
    web = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "bot.web.app:create_app", "--host", "127.0.0.1",
                            "--port", str(port), "--log-level", "warning", "--ws", "none"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if web.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the web service did not start")
            time.sleep(0.5)
        with session_scope(engine_for(url)) as session:
            key = create_key(session, "storm")
        zones, size = zones_for(url, affected)
        client = httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60)
        started = time.monotonic()
        answer = client.post("/api/v1/outages", json={"cause": "Tormenta eléctrica", "zones": zones,
                                                      "estimated_restoration_at": (clock.now() + dt.timedelta(hours=4)).isoformat()})
        answered = time.monotonic() - started
        progress = answer.json()["notice_batch"]["progress"]
        batch = client.get(progress).json()
        while batch["status"] == "queuing":
            time.sleep(0.2)
            batch = client.get(progress).json()
        queued = time.monotonic() - started
        first = batch["notices"]
        gone = lambda b: b["notices"]["sent"] + b["notices"]["delivered"] + b["notices"]["failed"]  # noqa: E731
        start_sent, start_at = gone(batch), time.monotonic()
        end = start_at + window
        while time.monotonic() < end and batch["notices"]["queued"] > 0:
            time.sleep(1)
            batch = client.get(progress).json()
        sent, seconds = gone(batch) - start_sent, time.monotonic() - start_at
        return {"zones": len(zones), "affected": size, "answer_ms": answered * 1000, "all_queued_s": queued,
                "queued": first["queued"] + first["sent"], "skipped": first["skipped"], "sent": sent,
                "dispatch_seconds": seconds, "per_second": sent / seconds if seconds else 0.0}
    finally:
        web.terminate()
        web.wait(30)
        twilio.stop()
        telegram.stop()


def report(args, seed_seconds: float, small: Dict, large: Dict, groups: Dict, fan: Dict) -> str:
    cpus = os.cpu_count()
    lines = [
        f"Measured {dt.date.today().isoformat()} with `python -m scripts.storm --customers {args.customers} --small {args.small} "
        f"--affected {args.affected} --reports {args.reports}` on {platform.machine()}, {cpus} CPUs, PostgreSQL "
        "on the same machine.", "",
        "| figure | value | target |", "| --- | --- | --- |",
        f"| seed of {args.customers:,} customers (bulk, streamed) | {seed_seconds:.0f} s | minutes, not hours |",
        f"| journey latency at {args.small:,} customers (balance, outage status; p50 / p95) | "
        f"{small['p50']:.1f} / {small['p95']:.1f} ms | |",
        f"| journey latency at {args.customers:,} customers (p50 / p95) | {large['p50']:.1f} / {large['p95']:.1f} ms | "
        f"within 1.2× of the small one (here {large['p95'] / small['p95']:.2f}× at p95) |",
        f"| `POST /api/v1/outages` on {fan['zones']} zones, {fan['affected']:,} supplies: answered in | "
        f"{fan['answer_ms']:.0f} ms | < 1 s |",
        f"| … every notice queued in | {fan['all_queued_s']:.1f} s ({fan['queued']:,} to send, {fan['skipped']:,} skipped: "
        "no consent, no channel, opted out) | < 30 s |",
        f"| dispatch capacity (providers' rates set high, emulators) | {fan['per_second']:.0f} notices/s "
        f"({fan['sent']:,} in {fan['dispatch_seconds']:.0f} s) | ≥ 300 /s |",
        f"| {groups['reports']:,} outage reports from {groups['transformers']} transformers in 10 min: suspected outages "
        f"opened | {groups['suspected_opened']} | |",
        f"| … tickets given / supplies with two tickets | {groups['tickets']:,} / {groups['supplies_with_two_tickets']} | 0 duplicates |",
        f"| … reporters told the fault is known (no ticket of their own) | {groups['told_known']:,} | |",
        f"| … apologies instead of an answer | {groups['apologies']} | 0 |",
    ]
    return "\n".join(lines)


def write_between_markers(text_block: str) -> None:
    start, end = "<!-- storm:start -->", "<!-- storm:end -->"
    current = DOC.read_text() if DOC.exists() else f"# Storm night\n\n{start}\n{end}\n"
    before, _, rest = current.partition(start)
    _, _, after = rest.partition(end)
    DOC.write_text(f"{before}{start}\n{text_block}\n{end}{after}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--affected", type=int, default=80_000)
    parser.add_argument("--reports", type=int, default=2_000)
    parser.add_argument("--transformers", type=int, default=200)
    parser.add_argument("--samples", type=int, default=150, help="accounts per journey-latency run")
    parser.add_argument("--dispatch-seconds", type=float, default=60.0)
    args = parser.parse_args()
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "domain")).as_dict()
    run = uuid.uuid4().hex[:6]
    names = {"large": f"luz_storm_{run}", "small": f"luz_storm_small_{run}"}
    try:
        print(f"seeding {args.customers:,} customers…", flush=True)
        large_url, seed_seconds = seeded(names["large"], args.customers)
        print(f"  {seed_seconds:.0f} s", flush=True)
        small_url, _ = seeded(names["small"], args.small)
        small = journey_latency(small_url, domain, args.samples)
        large = journey_latency(large_url, domain, args.samples)
        print(f"journeys: small p50 {small['p50']:.1f} p95 {small['p95']:.1f} ms; large p50 {large['p50']:.1f} "
              f"p95 {large['p95']:.1f} ms", flush=True)
        groups = grouping(large_url, domain, args.reports, args.transformers)
        print(f"grouping: {groups}", flush=True)
        fan = fan_out(large_url, args.affected, args.dispatch_seconds)
        print(f"fan-out: {fan}", flush=True)
        block = report(args, seed_seconds, small, large, groups, fan)
        print(block)
        write_between_markers(block)
    finally:
        engine_for.cache_clear()
        for name in names.values():
            drop(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
