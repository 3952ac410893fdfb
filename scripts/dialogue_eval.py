"""`make dialogue-eval`: whole conversations, as customers write them, against the real product.

The conversations are in ``tests/dialogue/*.yml`` (written from README alone, apart from the training data;
the format is described at the top of ``tests/dialogue/conversations.yml``). The script starts the product
the way the end-to-end tests do (``tests/product.py``: ``python -m bot run`` on the trained model, a fresh
database seeded with the demo data, its channels pointed at the Twilio and Telegram emulators of
``tests/emulators.py``, free ports), sends every turn as a signed Twilio webhook (WhatsApp, or SMS where the
conversation says so), waits until Luz's answer has arrived at the Twilio emulator and nothing more comes,
and checks it.

It prints conversations passed and turn accuracy, overall, per dialect and per failure class, and every
failed conversation with the turn, what was sent and what Luz answered; writes ``report.json`` and
``report.txt`` under ``results/dialogue/`` (with the product's log); and exits non-zero when fewer than
95 % of the conversations pass.

The product runs at the test suite's instant (Wednesday 18 November 2026, 10:00 in Bogotá, inside agent
hours; ``--at`` another ISO instant), so the demo customers' dates and the queue behave the same on every
run. Conversations from one sender run one after another, in file order; different senders run
``--parallel`` at a time. Between two conversations of one sender the runner writes what a customer would to
start afresh, not counted: "salir" when the previous one left them in the queue for a person (the queue keeps
Luz quiet), then ``/restart`` (Rasa's own reset), so one conversation's form or slots do not leak into the next.

    python -m scripts.dialogue_eval [--only ID-PART] [--parallel 3] [--at 2026-11-18T10:00:00-05:00]
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import yaml
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import clock, handoff  # noqa: E402
from bot.db.engine import engine_for, session_scope  # noqa: E402
from bot.settings import LUZ_CLOCK_OFFSET  # noqa: E402
from tests.emulators import TelegramEmulator, TwilioEmulator  # noqa: E402
from tests.product import (  # noqa: E402
    MODEL,
    SMS_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    WHATSAPP_FROM,
    product_environment,
)

SUITE = ROOT / "tests" / "dialogue"
BAR = 0.95
DEFAULT_AT = "2026-11-18T10:00:00-05:00"  # tests/conftest.py's instant: a Wednesday mid-morning in Bogotá
CHANNELS = ("whatsapp", "sms")
CHECKS = ("all_of", "any_of", "none_of", "once")
TURN_KEYS = {"say", "allow", *CHECKS}
FIRST_ANSWER_SECONDS = 45.0  # longest wait for the first message of an answer
QUIET_SECONDS = 1.5  # an answer is complete once nothing more has arrived for this long
RESET = "/restart"


# ------------------------------------------------------------------ the suite


def strip_accents(text: str) -> str:
    """"Está" -> "Esta": answers and patterns are compared without accents (and without case)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def pattern(source: str) -> re.Pattern:
    return re.compile(strip_accents(source), re.IGNORECASE | re.DOTALL)


@dataclass
class Turn:
    say: str
    checks: Dict[str, List[str]]


@dataclass
class Conversation:
    id: str
    sender: str
    channel: str
    dialect: str
    classes: List[str]
    journeys: List[str]
    turns: List[Turn]
    source: str


def load_suite(paths: List[Path]) -> List[Conversation]:
    """Every conversation of the files, checked for shape; the defaults of a file join each of its turns."""
    conversations: List[Conversation] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        defaults = data.get("defaults") or {}
        for raw in data.get("conversations") or []:
            where = f"{path.name}: {raw.get('id', '?')}"
            channel = raw.get("channel", "whatsapp")
            if channel not in CHANNELS or not str(raw.get("sender", "")).startswith("+") or not raw.get("turns"):
                raise SystemExit(f"{where}: needs an E.164 sender, turns, and a channel among {CHANNELS}")
            turns = []
            for turn in raw["turns"]:
                unknown = set(turn) - TURN_KEYS
                if unknown or not str(turn.get("say", "")).strip():
                    raise SystemExit(f"{where}: a turn needs `say` and only {sorted(TURN_KEYS)} (got {sorted(unknown)})")
                checks = {name: [str(p) for p in turn.get(name) or []] for name in CHECKS}
                allowed = [str(p) for p in turn.get("allow") or []]
                default = [str(p) for p in defaults.get("none_of") or []]
                if set(allowed) - set(default):
                    raise SystemExit(f"{where}: `allow` names only patterns of the defaults ({sorted(set(allowed) - set(default))})")
                checks["none_of"] += [p for p in default if p not in allowed]
                for sources in checks.values():
                    for source in sources:
                        pattern(source)  # a bad pattern stops the run here, not in the middle
                turns.append(Turn(str(turn["say"]), checks))
            conversations.append(Conversation(
                id=str(raw["id"]), sender=str(raw["sender"]), channel=channel, dialect=str(raw.get("dialect", "?")),
                classes=[str(c) for c in raw.get("classes") or []], journeys=[str(j) for j in raw.get("journeys") or []],
                turns=turns, source=path.name))
    ids = [c.id for c in conversations]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise SystemExit(f"conversation ids used twice: {repeated}")
    return conversations


def problems(answer: str, checks: Dict[str, List[str]]) -> List[str]:
    """What a customer would find wrong with ``answer``; [] when it is the expected kind of answer."""
    if not answer.strip():
        return ["no answer"]
    text = strip_accents(answer)
    found: List[str] = []
    for source in checks["all_of"]:
        if not pattern(source).search(text):
            found.append(f"missing {source!r}")
    if checks["any_of"] and not any(pattern(source).search(text) for source in checks["any_of"]):
        found.append(f"none of {checks['any_of']!r}")
    for source in checks["none_of"]:
        match = pattern(source).search(text)
        if match:
            found.append(f"has {source!r} ({match.group(0)!r})")
    for source in checks["once"]:
        count = len(pattern(source).findall(text))
        if count > 1:
            found.append(f"{source!r} {count} times")
    return found


# ------------------------------------------------------------------ the product


class Product:
    """``python -m bot run`` on a fresh seeded database, its Twilio pointed at the emulator."""

    def __init__(self, work: Path, at: dt.datetime) -> None:
        self.work = work
        self.twilio = TwilioEmulator().start()
        self.telegram = TelegramEmulator().start()
        self.env = product_environment(work, self.twilio.url, self.telegram.url)
        self.env[LUZ_CLOCK_OFFSET] = str(clock.offset_to(at))
        self.env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        self.env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        self.base = f"http://127.0.0.1:{self.env['RASA_PORT']}"
        self.public = self.env["PUBLIC_BASE_URL"]
        self.validator = RequestValidator(TWILIO_TOKEN)
        self.process: Optional[subprocess.Popen] = None
        self._sids = itertools.count(1)
        self._sid_lock = threading.Lock()

    def start(self) -> None:
        seeded = subprocess.run([sys.executable, "-m", "bot", "db", "setup", "--demo", "--customers", "200"],
                                env=self.env, cwd=ROOT, capture_output=True, text=True)
        if seeded.returncode != 0:
            raise SystemExit("seeding the database failed:\n" + seeded.stderr[-3000:])
        with open(self.work / "product.log", "a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=self.env, cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        health = [f"{self.base}/", f"http://127.0.0.1:{self.env['ACTION_PORT']}/health", f"{self.public}/health"]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if all(httpx.get(url, timeout=2).status_code == 200 for url in health):
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(1)
        self.stop()
        raise SystemExit("the product did not start:\n" + (self.work / "product.log").read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # as an operator would
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.twilio.stop()
        self.telegram.stop()

    def in_queue(self, phone: str) -> bool:
        """Whether ``phone`` waits for (or talks with) a person: then Luz is quiet until it writes "salir"."""
        with session_scope(engine_for(self.env["DATABASE_URL"])) as session:
            return handoff.open_handoff(session, phone) is not None

    def reset(self, channel: str, phone: str) -> None:
        if self.in_queue(phone):
            self.send(channel, phone, "salir")
        self.send(channel, phone, RESET)

    def address(self, channel: str, phone: str) -> str:
        return f"whatsapp:{phone}" if channel == "whatsapp" else phone

    def send(self, channel: str, phone: str, body: str) -> str:
        """One signed webhook, as Twilio posts it; returns everything Luz sent back in that turn."""
        address = self.address(channel, phone)
        with self._sid_lock:
            sid = f"SM{next(self._sids):030d}de"
        form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": TWILIO_SID, "From": address,
                "To": WHATSAPP_FROM if channel == "whatsapp" else SMS_FROM, "Body": body, "NumMedia": "0"}
        path = f"/webhooks/{channel}/webhook"
        signature = self.validator.compute_signature(self.public + path, form)
        before = len(self.twilio.matching(lambda r: r["to"] == address))
        response = httpx.post(self.base + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
        if response.status_code != 200:
            return f"[webhook answered HTTP {response.status_code}: {response.text[:200]}]"
        return render(self.replies(address, before))

    def replies(self, address: str, before: int) -> List[Dict[str, Any]]:
        """What reached the emulator for ``address`` after ``before`` messages: the whole turn, once quiet."""
        deadline = time.monotonic() + FIRST_ANSWER_SECONDS
        got = self.twilio.matching(lambda r: r["to"] == address)
        while len(got) <= before and time.monotonic() < deadline:
            time.sleep(0.1)
            got = self.twilio.matching(lambda r: r["to"] == address)
        if len(got) <= before:
            return []
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < QUIET_SECONDS:
            time.sleep(0.1)
            now = self.twilio.matching(lambda r: r["to"] == address)
            if len(now) != len(got):
                got, quiet_since = now, time.monotonic()
        return got[before:]


def render(messages: List[Dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        if message.get("body"):
            parts.append(str(message["body"]))
        parts += [f"[adjunto: {url}]" for url in message.get("media_url") or []]
        if message.get("content_sid"):
            parts.append(f"[plantilla {message['content_sid']}: {message.get('content_variables')}]")
    return "\n".join(parts)


# ------------------------------------------------------------------ running


@dataclass
class TurnResult:
    say: str
    answer: str
    problems: List[str]
    seconds: float


@dataclass
class Result:
    conversation: Conversation
    turns: List[TurnResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return len(self.turns) == len(self.conversation.turns) and all(not t.problems for t in self.turns)


def run_sender(product: Product, conversations: List[Conversation], log: threading.Lock) -> List[Result]:
    """One sender's conversations, one after another, with Rasa's reset between them."""
    results = []
    for number, conversation in enumerate(conversations):
        if number:
            product.reset(conversation.channel, conversation.sender)
        result = Result(conversation)
        for turn in conversation.turns:
            started = time.monotonic()
            answer = product.send(conversation.channel, conversation.sender, turn.say)
            result.turns.append(TurnResult(turn.say, answer, problems(answer, turn.checks), time.monotonic() - started))
        results.append(result)
        with log:
            print(f"  {'ok  ' if result.passed else 'FAIL'} {conversation.id}", flush=True)
    return results


def rate(passed: int, total: int) -> str:
    return f"{passed}/{total} ({passed / total:.1%})" if total else "0/0"


def summary(results: List[Result]) -> Dict[str, Any]:
    def figures(group: List[Result]) -> Dict[str, Any]:
        turns = [t for r in group for t in r.turns]
        return {"conversations": len(group), "passed": sum(r.passed for r in group),
                "turns": len(turns), "turns_passed": sum(not t.problems for t in turns)}

    by_dialect: Dict[str, List[Result]] = defaultdict(list)
    by_class: Dict[str, List[Result]] = defaultdict(list)
    by_journey: Dict[str, List[Result]] = defaultdict(list)
    for result in results:
        by_dialect[result.conversation.dialect].append(result)
        for name in result.conversation.classes or ["(plain)"]:
            by_class[name].append(result)
        for name in result.conversation.journeys:
            by_journey[name].append(result)
    return {"all": figures(results),
            "dialects": {k: figures(v) for k, v in sorted(by_dialect.items())},
            "classes": {k: figures(v) for k, v in sorted(by_class.items())},
            "journeys": {k: figures(v) for k, v in sorted(by_journey.items())}}


def report_text(results: List[Result], figures: Dict[str, Any], at: str, seconds: float) -> str:
    everything = figures["all"]
    lines = [f"dialogue suite: {len(results)} conversations, {everything['turns']} turns, product at {at}, {seconds:.0f} s",
             f"conversations passed: {rate(everything['passed'], everything['conversations'])} (bar {BAR:.0%})",
             f"turn accuracy: {rate(everything['turns_passed'], everything['turns'])}"]
    for title, key in (("per dialect", "dialects"), ("per failure class", "classes"), ("per journey", "journeys")):
        lines.append(f"{title}:")
        for name, f in figures[key].items():
            lines.append(f"  {name:<20} conversations {rate(f['passed'], f['conversations']):<16} "
                         f"turns {rate(f['turns_passed'], f['turns'])}")
    failed = [r for r in results if not r.passed]
    lines.append(f"failed conversations: {len(failed)}")
    for result in failed:
        c = result.conversation
        lines.append(f"\n--- {c.id} ({c.dialect}, {c.channel}, {c.sender}; classes: {', '.join(c.classes) or '-'})")
        for number, turn in enumerate(result.turns, 1):
            mark = "FAIL" if turn.problems else "ok"
            lines.append(f"  turn {number} [{mark}] customer: {turn.say}")
            for line in (turn.answer or "(nothing)").splitlines():
                lines.append(f"      Luz: {line}")
            for problem in turn.problems:
                lines.append(f"      -> {problem}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="suite files (default: tests/dialogue/*.yml)")
    parser.add_argument("--only", action="append", default=[], help="run conversations whose id contains this")
    parser.add_argument("--parallel", type=int, default=3, help="senders talking at once (default 3)")
    parser.add_argument("--at", default=DEFAULT_AT, help="the product's instant, ISO with its offset")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "dialogue")
    args = parser.parse_args()

    conversations = load_suite(args.files or sorted(SUITE.glob("*.yml")))
    if args.only:
        conversations = [c for c in conversations if any(part in c.id for part in args.only)]
    if not conversations:
        raise SystemExit("no conversations to run")
    if not MODEL.exists():
        raise SystemExit("no trained model in models/luz.tar.gz: run `make train`")
    at = dt.datetime.fromisoformat(args.at)
    out = args.out
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    by_sender: Dict[str, List[Conversation]] = defaultdict(list)
    for conversation in conversations:
        by_sender[conversation.sender].append(conversation)
    print(f"starting the product at {at.isoformat()} ({len(conversations)} conversations, {len(by_sender)} senders)...",
          flush=True)
    product = Product(work, at)
    started = time.monotonic()
    try:
        product.start()
        print(f"product up in {time.monotonic() - started:.0f} s; talking...", flush=True)
        started = time.monotonic()
        log = threading.Lock()
        # the longest senders first, so the demo customers' many conversations overlap the rest
        groups = sorted(by_sender.values(), key=len, reverse=True)
        with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
            done = list(pool.map(lambda group: run_sender(product, group, log), groups))
    finally:
        product.stop()
    seconds = time.monotonic() - started
    order = {c.id: n for n, c in enumerate(conversations)}
    results = sorted((r for group in done for r in group), key=lambda r: order[r.conversation.id])

    figures = summary(results)
    text = report_text(results, figures, at.isoformat(), seconds)
    print("\n" + text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.txt").write_text(text + "\n", encoding="utf-8")
    (out / "report.json").write_text(json.dumps({
        "at": at.isoformat(), "seconds": round(seconds, 1), "bar": BAR, "figures": figures,
        "conversations": [{"id": r.conversation.id, "dialect": r.conversation.dialect, "channel": r.conversation.channel,
                           "sender": r.conversation.sender, "classes": r.conversation.classes,
                           "journeys": r.conversation.journeys, "passed": r.passed,
                           "turns": [{"say": t.say, "answer": t.answer, "problems": t.problems,
                                      "seconds": round(t.seconds, 2)} for t in r.turns]} for r in results],
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nreport: {out / 'report.txt'} (and report.json; the product's log: {work / 'product.log'})")
    everything = figures["all"]
    return 0 if everything["passed"] >= BAR * everything["conversations"] else 1


if __name__ == "__main__":
    sys.exit(main())
