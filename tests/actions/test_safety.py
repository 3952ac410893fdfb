"""A records database that is down gets an apology and a person, never silence."""
from __future__ import annotations

import pytest

from actions.identity import ActionStartJourney, ValidateIdentifyForm
from bot.settings import get_settings
from tests.actions.conftest import make_tracker

DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/nothing?connect_timeout=2"


@pytest.fixture()
def database_down(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", DOWN)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_journey_start_apologises_when_the_records_are_down(database_down, domain):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = await ActionStartJourney().run(dispatcher, make_tracker("+573001234501"), domain)
    assert events == []
    assert "Lo siento" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/request_agent"


async def test_identification_ends_with_an_apology_when_the_records_are_down(database_down, domain):
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = make_tracker("+573009999999", slots={"requested_slot": "account_number", "account_number": "100200301"},
                           text="100200301", active_loop="identify_form")
    events = await ValidateIdentifyForm().run(dispatcher, tracker, domain)
    assert {"event": "slot", "name": "identify_failed", "value": True, "timestamp": None} in events
    assert "Lo siento" in dispatcher.messages[-1]["text"]


def test_leaving_is_understood_in_a_few_words_but_paying_is_not_leaving():
    from actions.safety import wants_to_leave

    for said in ("cancelar", "no no, cancela eso", "mejor olvídalo, gracias", "ya no", "no quiero reportar ningún pago"):
        assert wants_to_leave(said), said
    for said in ("cancelé en el banco", "no", "no tengo luz", "cancelar la factura de octubre"):
        assert not wants_to_leave(said), said
    # in a customer's own words: interjections in front, a reason after, a promise to come back
    for said in ("ay no, mejor luego que estoy en el trabajo", "ah no, olvídalo", "pues mejor otro día, gracias",
                 "lo busco y después te aviso", "bueno, más tarde le escribo", "uy no, después porque no tengo el recibo"):
        assert wants_to_leave(said), said
    for said in ("después de las 5 se fue la luz", "luego de pagar no me llegó nada", "mejor por nequi",
                 "ah, el medidor marca 5430", "pues pagué 85 mil"):
        assert not wants_to_leave(said), said
