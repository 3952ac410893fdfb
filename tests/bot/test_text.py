from bot.text import fold, normalise


def test_folding_lowers_and_removes_accents_keeping_everything_else():
    assert fold("Cuándo VUELVE la energía, señor?") == "cuando vuelve la energia, senor?"
    assert fold("¿Pingüino? 😡") == "¿pinguino? 😡"


def test_a_short_answer_is_compared_without_signs_emoji_or_extra_spaces():
    assert normalise("  ¡Sí,   ya volvió! ") == "si, ya volvio"
    assert normalise("5 ⭐") == "5"
    assert normalise("Salir.") == "salir"
