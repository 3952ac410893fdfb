"""How the intent model holds up on messages as people type them: the held-out files, perturbed.

Each held-out message (tests/nlu/, never trained on) is rewritten seven ways, deterministically: as
written, a greeting in front, courtesy after, two typing slips, spelled by sound, without accents, in
capitals. The model is the same scikit-learn pipeline as the Rasa component, trained on data/nlu.

    python -m scripts.nlu_perturb            # prints one accuracy per way, and the bar (0.95)
"""
from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path
from typing import Callable, Dict, List

from scripts.nlu_fast import ROOT, examples

BAR = 0.95
GREETINGS = ["buenos días,", "buenas tardes", "hola buenas noches,", "buen día señorita,", "hola, qué tal?"]
COURTESY = ["por favor", "gracias", "muchas gracias señorita", "porfa, gracias", "le agradezco"]


KEYBOARD_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")


def slips(text: str, rng: random.Random, count: int = 2) -> str:
    """Dropped, doubled, swapped or neighbouring letters, inside words."""
    chars = list(text)
    for _ in range(count):
        spots = [i for i in range(1, len(chars) - 2)
                 if chars[i].isalpha() and chars[i - 1].isalpha() and chars[i + 1].isalpha()]
        if not spots:
            break
        i, kind = rng.choice(spots), rng.randrange(4)
        if kind == 0:
            del chars[i]
        elif kind == 1:
            chars.insert(i, chars[i])
        elif kind == 2:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            row = next((r for r in KEYBOARD_ROWS if chars[i].lower() in r), "")
            if row:
                j = row.index(chars[i].lower()) + rng.choice((-1, 1))
                chars[i] = row[max(0, min(len(row) - 1, j))]
    return "".join(chars)


SOUND = [(r"qu(?=[ei])", "k"), (r"c(?=[aou])", "k"), (r"\bh", ""), (r"v", "b"), (r"z", "s"), (r"c(?=[ei])", "s"),
         (r"ll", "y")]


def by_sound(text: str, rng: random.Random) -> str:
    """Spelled by sound: k for qu, b/v, s/z/c, no h; each rule applied or not, by chance."""
    out = text.lower()
    for pattern, replacement in SOUND:
        if rng.random() < 0.6:
            out = re.sub(pattern, replacement, out)
    return out


def no_accents(text: str, rng: random.Random) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


WAYS: Dict[str, Callable[[str, random.Random], str]] = {
    "as written": lambda text, rng: text,
    "greeting in front": lambda text, rng: f"{rng.choice(GREETINGS)} {text[:1].lower() + text[1:]}",
    "courtesy after": lambda text, rng: f"{text.rstrip('.?!')} {rng.choice(COURTESY)}",
    "two slips": slips,
    "spelled by sound": by_sound,
    "no accents": no_accents,
    "capitals": lambda text, rng: text.upper(),
}


def report(model, texts: List[str], labels) -> Dict[str, float]:
    figures = {}
    for name, way in WAYS.items():
        rng = random.Random(f"{name}-perturbation")
        guessed = model.predict([way(text, rng) for text in texts])
        figures[name] = float((guessed == labels).mean())
    return figures


def main() -> None:
    from bot.rasa_plugins.nlu.linear_intent_classifier import LinearIntentClassifier, build_pipeline

    texts, labels = examples(ROOT / "data" / "nlu")
    model = build_pipeline(LinearIntentClassifier.get_default_config()).fit(texts, labels)
    held_texts: List[str] = []
    held_labels: List[str] = []
    for path in sorted((ROOT / "tests" / "nlu").glob("*.yml")):
        t, y = examples(Path(path))
        held_texts += t
        held_labels += list(y)
    import numpy as np

    figures = report(model, held_texts, np.array(held_labels))
    print(f"held-out messages: {len(held_texts)} (tests/nlu/*.yml), intent accuracy by how they are written (bar {BAR}):")
    for name, value in figures.items():
        print(f"  {name:<18} {value:.3f}{'' if value >= BAR else '  below the bar'}")


if __name__ == "__main__":
    main()
