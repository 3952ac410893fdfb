"""The dialogue suite's shape and checks (the suite itself runs against the product: `make dialogue-eval`)."""
from __future__ import annotations

from bot.phones import to_e164
from scripts.dialogue_eval import SUITE, load_suite, problems

DIALECTS = {"co", "mx", "ar", "pe", "cl", "ve"}
CLASSES = {"greeting_request", "typos", "question_in_form", "leave_form", "no_account_street", "early_answer",
           "numbered_sms"}


def test_the_suite_has_sixty_conversations_in_six_dialects_over_every_failure_class():
    conversations = load_suite(sorted(SUITE.glob("*.yml")))
    assert len(conversations) >= 60 and all(len(c.turns) >= 1 for c in conversations)
    assert sum(len(c.turns) > 1 for c in conversations) >= 30
    assert {c.dialect for c in conversations} == DIALECTS
    assert CLASSES.issubset({name for c in conversations for name in c.classes})
    assert any(c.channel == "sms" and "numbered_sms" in c.classes for c in conversations)
    # every sender is a number the webhook reads (Twilio's From, as WhatsApp sends it)
    assert all(to_e164(f"whatsapp:{c.sender}", "CO") == c.sender for c in conversations)


def test_a_check_ignores_case_and_accents_and_never_takes_the_apology_for_an_answer():
    checks = {"all_of": [r"\$ ?[\d.]+"], "any_of": ["vence", "plazo"], "none_of": ["tuve un problema"], "once": []}
    assert problems("Tu saldo es $ 84.350. VENCE el 6 de diciembre.", checks) == []
    assert problems("Lo siento, tuve un problema para responderte. $ 1 vence", checks)
    assert problems("", checks) == ["no answer"]
    assert problems("Tu saldo es $ 84.350.", checks) == [f"none of {['vence', 'plazo']!r}"]
    twice = {"all_of": [], "any_of": [], "none_of": [], "once": ["cuanto pagaste"]}
    assert problems("¿Cuánto pagaste? ¿Cuánto pagaste?", twice) == ["'cuanto pagaste' 2 times"]
