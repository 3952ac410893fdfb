"""Runs the product's processes as supervised children of one command.

Each child is restarted when it dies unexpectedly (with a growing pause, so a
crash loop does not spin), all stop together on Ctrl-C or SIGTERM, and the
command returns only when every child has exited.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import httpx

log = logging.getLogger("luz.supervisor")


@dataclass
class Child:
    name: str
    argv: List[str]
    health_url: Optional[str]  # None: healthy while it runs (a worker with no HTTP port)
    process: Optional[subprocess.Popen] = None
    restarts: int = 0
    next_start: float = 0.0
    env: Dict[str, str] = field(default_factory=dict)

    def start(self, cwd: str) -> None:
        env = {**os.environ, **self.env}
        self.process = subprocess.Popen(self.argv, cwd=cwd, env=env)
        log.info("started %s (pid %s)", self.name, self.process.pid)

    def healthy(self) -> bool:
        if self.health_url is None:
            return self.process is not None and self.process.poll() is None
        try:
            return httpx.get(self.health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


class Supervisor:
    def __init__(self, children: Sequence[Child], cwd: str, ready_timeout: float = 300) -> None:
        self.children = list(children)
        self.cwd = cwd
        self.ready_timeout = ready_timeout
        self.stopping = False

    def _request_stop(self, signum, _frame) -> None:
        log.info("received signal %s, stopping", signum)
        self.stopping = True

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + self.ready_timeout
        pending = list(self.children)
        while pending and time.monotonic() < deadline and not self.stopping:
            pending = [c for c in pending if not c.healthy()]
            for child in pending:
                if child.process and child.process.poll() is not None:
                    log.error("%s exited with code %s while starting", child.name, child.process.returncode)
                    return False
            if pending:
                time.sleep(0.5)
        return not pending

    def run(self, on_ready=None) -> int:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        for child in self.children:
            child.start(self.cwd)
        if not self.wait_ready():
            if not self.stopping:
                log.error("the product did not become ready; stopping")
            self.stop()
            return 0 if self.stopping else 1
        if on_ready:
            on_ready()
        while not self.stopping:
            for child in self.children:
                code = child.process.poll() if child.process else None
                if code is not None and time.monotonic() >= child.next_start:
                    child.restarts += 1
                    pause = min(30.0, 2.0 ** child.restarts)
                    log.warning("%s exited with code %s; restarting in %.0f s", child.name, code, pause)
                    child.next_start = time.monotonic() + pause
                    child.process = None
                elif child.process is None and time.monotonic() >= child.next_start:
                    child.start(self.cwd)
            time.sleep(0.5)
        self.stop()
        return 0

    def stop(self, grace: float = 15) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + grace
        for child in self.children:
            if not child.process:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", child.name)
                child.process.kill()
                child.process.wait()
        log.info("all processes stopped")


def python() -> str:
    return sys.executable
