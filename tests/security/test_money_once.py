"""Money once: one payment reference applies once per account, however it is posted.

Against the real web service (uvicorn in this process, the API with a real key, the test database): many
posts of the same payment at the same instant, each with its own Idempotency-Key (what a retrying billing
system with a fresh key per attempt sends), apply it once; the others are answered 409.
"""
from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import List

import httpx
import pytest
from sqlalchemy import select

from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import get_settings
from bot.web.api import create_key
from tests.emulators import serving

POSTS = 8


@pytest.fixture()
def api(use_database, engine, monkeypatch):
    """The web service on a port of its own (no scheduler), and an API key for it."""
    monkeypatch.setenv("LUZ_SCHEDULER", "off")
    get_settings.cache_clear()
    from bot.web.app import create_app

    app = create_app(get_settings())
    with session_scope(engine) as session:
        key = create_key(session, "ataque-pagos")
    with serving(app) as base:
        yield base, key
    get_settings.cache_clear()


def _account_with_unpaid_bills(engine) -> str:
    with session_scope(engine) as session:
        return session.execute(select(m.Account.account_number).join(m.Bill)
                               .where(m.Bill.status != m.BillStatus.paid).order_by(m.Account.id.desc())).scalars().first()


def _post_all_at_once(base: str, key: str, payment: dict, keys: List[str]) -> List[httpx.Response]:
    barrier, answers = threading.Barrier(len(keys)), [None] * len(keys)

    def post(index: int, idempotency_key: str) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
            barrier.wait()
            answers[index] = client.post("/api/v1/payments", json=payment, headers={"Idempotency-Key": idempotency_key})

    threads = [threading.Thread(target=post, args=(i, k)) for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers  # type: ignore[return-value]


def test_one_reference_posted_at_once_with_different_idempotency_keys_applies_once(api, engine):
    base, key = api
    number, reference = _account_with_unpaid_bills(engine), f"BANCO-{uuid.uuid4().hex[:10]}"
    payment = {"account_number": number, "amount": "5000.00", "method": "bank", "reference": reference}
    answers = _post_all_at_once(base, key, payment, [f"intento-{uuid.uuid4().hex}" for _ in range(POSTS)])

    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * (POSTS - 1), [a.text for a in answers]
    with session_scope(engine) as session:
        applied = session.execute(select(m.Payment).where(m.Payment.reference == reference)).scalars().all()
        assert [(p.status, p.amount) for p in applied] == [(m.PaymentStatus.applied, Decimal("5000.00"))]
        stored = session.execute(select(m.IdempotentRequest.status_code)
                                 .where(m.IdempotentRequest.key.like("intento-%"))).scalars().all()
    # the idempotent answers were stored with the work: the one that applied it, and none of the refusals
    assert sorted(stored).count(201) >= 1 and None not in stored


def test_a_repeat_with_the_same_key_gets_the_first_answer_and_no_second_payment(api, engine):
    base, key = api
    number, reference = _account_with_unpaid_bills(engine), f"BANCO-{uuid.uuid4().hex[:10]}"
    payment = {"account_number": number, "amount": "7000.00", "method": "bank", "reference": reference}
    same = f"mismo-{uuid.uuid4().hex}"
    answers = _post_all_at_once(base, key, payment, [same] * 4)
    assert {a.status_code for a in answers} == {201}
    assert len({a.text for a in answers}) == 1  # the one stored answer
    with session_scope(engine) as session:
        assert len(session.execute(select(m.Payment.id).where(m.Payment.reference == reference)).all()) == 1
