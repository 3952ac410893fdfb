"""Tells waiting customers when their place in the queue moves back (a hazard or a medical case came in).

A small loop in the web service; one instance per deployment is enough, and a
second one would only find nothing new to tell (positions are remembered in
the database).
"""
from __future__ import annotations

import asyncio
import logging
from typing import List, Optional, Tuple

from bot import handoff
from bot.db.engine import engine_for, session_scope
from bot.settings import Settings
from channels import outbound

log = logging.getLogger(__name__)


class QueueWatch:
    def __init__(self, settings: Settings, interval: float = 3.0) -> None:
        self.settings, self.interval = settings, interval
        self._task: Optional[asyncio.Task] = None

    def moved(self) -> List[Tuple[str, str, str]]:
        with session_scope(engine_for(self.settings.database_url)) as session:
            return [(p.handoff.channel, p.handoff.conversation_id, handoff.moved_text(p))
                    for p in handoff.grown_positions(session, self.settings)]

    async def run_once(self) -> int:
        notices = await asyncio.to_thread(self.moved)
        for channel, conversation_id, text in notices:
            await outbound.deliver(channel, conversation_id, [{"text": text}])
        return len(notices)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - a failed round is retried at the next tick
                log.exception("queue watch round failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()

