"""Engines and sessions, built on demand from a URL (never at import time).

Async code (the web service, the jobs) does its database work with ``in_thread``: the work runs
in a worker thread inside one transaction, so a slow query never blocks the event loop.
"""
from __future__ import annotations

import asyncio
import warnings
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine import create_engine as sa_create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

T = TypeVar("T")


def create_engine(url: str) -> Engine:
    """A 2.0-style engine; SQLite gets WAL and foreign keys so it behaves like a server."""
    if url.startswith("sqlite"):
        # SQLite keeps NUMERIC as a float: 2-decimal amounts far below 10^13 round-trip
        # exactly and come back as Decimal. PostgreSQL (production) stores them exactly.
        warnings.filterwarnings("ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal")
        # A file database keeps a pool of open connections (SQLAlchemy 1.4 would open and
        # configure a new one per session: a third of a message's database time under load).
        pooling = {} if _in_memory(url) else {"poolclass": QueuePool, "pool_size": 10, "max_overflow": 10}
        engine = sa_create_engine(
            url, future=True, connect_args={"check_same_thread": False, "timeout": 30}, **pooling
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa_create_engine(url, future=True, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _in_memory(url: str) -> bool:
    database = url.split("///", 1)[1] if "///" in url else ""
    return database in ("", ":memory:") or "mode=memory" in database


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (one connection pool) per URL per process."""
    return create_engine(url)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def in_session(engine: Engine, work: Callable[[Session], T]) -> T:
    """``work(session)`` inside one transaction, committed when it returns and rolled back if it raises."""
    with session_scope(engine) as session:
        return work(session)


async def in_thread(engine: Engine, work: Callable[[Session], T]) -> T:
    """``in_session`` in a worker thread: what async code awaits instead of touching the database itself.

    ``work`` must not return objects that lazy-load afterwards unless they are already loaded:
    the session is closed when it returns (its objects stay readable, ``expire_on_commit=False``).
    """
    return await asyncio.to_thread(in_session, engine, work)
