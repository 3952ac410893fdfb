from bot.text import fold, normalise


def test_folding_lowers_and_removes_accents_keeping_everything_else():
    assert fold("Cuándo VUELVE la energía, señor?") == "cuando vuelve la energia, senor?"
    assert fold("¿Pingüino? 😡") == "¿pinguino? 😡"


def test_a_short_answer_is_compared_without_signs_emoji_or_extra_spaces():
    assert normalise("  ¡Sí,   ya volvió! ") == "si, ya volvio"
    assert normalise("5 ⭐") == "5"
    assert normalise("Salir.") == "salir"


def test_the_request_is_read_without_the_courtesy_around_it():
    from bot.text import request_of

    assert request_of("Buenas tardes, ¿cuánto me toca pagar? gracias") == "cuanto me toca pagar"
    assert request_of("buenos días señorita, quiero saber mi saldo por favor") == "quiero saber mi saldo"
    assert request_of("hola") == "hola" and request_of("muchas gracias") == "muchas gracias"  # courtesy alone stays


def test_words_spelled_by_ear_sound_the_same():
    from bot.text import sound_key

    assert sound_key("kiero saver kuanto deboo") == sound_key("quiero saber cuánto debo") == "kiero saber kuanto debo"
    assert sound_key("ay un kable kaido") == sound_key("hay un cable caído")
