"""A fast look at the intent model, for trying changes: the same scikit-learn pipeline as
`bot.rasa_plugins.nlu.linear_intent_classifier` in stratified 5-fold cross-validation (seeded, unlike Rasa's), and
its accuracy on any NLU file written apart (a held-out file, or a new set before it is merged).

    python -m scripts.nlu_fast                       # seeds 0 and 1, both held-out files
    python -m scripts.nlu_fast --seeds 0 --test new_messages.yml

Figures are close to `make nlu-eval` but not the same (Rasa shuffles its folds without a seed);
`make nlu-eval` is the one the bars and the README quote.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Tuple

import numpy as np
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from bot.rasa_plugins.nlu.linear_intent_classifier import LinearIntentClassifier, build_pipeline

ROOT = Path(__file__).resolve().parent.parent


def examples(path: Path) -> Tuple[List[str], np.ndarray]:
    data = [e for e in load_data(str(path)).intent_examples if e.get("text") and e.get("intent")]
    return [e.get("text") for e in data], np.array([e.get("intent") for e in data])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--test", nargs="*", default=[str(p) for p in sorted((ROOT / "tests" / "nlu").glob("*.yml"))])
    args = parser.parse_args()
    config = LinearIntentClassifier.get_default_config()
    texts, labels = examples(ROOT / "data" / "nlu")
    texts_array = np.array(texts, dtype=object)
    for seed in (int(s) for s in args.seeds.split(",") if s):
        predicted = np.empty_like(labels)
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts_array, labels):
            model = build_pipeline(config).fit(list(texts_array[train]), labels[train])
            predicted[test] = model.predict(list(texts_array[test]))
        print(f"cross-validation, seed {seed}: macro-F1 {f1_score(labels, predicted, average='macro'):.4f}, "
              f"accuracy {accuracy_score(labels, predicted):.4f}")
    model = build_pipeline(config).fit(texts, labels)
    for path in args.test:
        test_texts, test_labels = examples(Path(path))
        guessed = model.predict(test_texts)
        print(f"{Path(path).name}: accuracy {accuracy_score(test_labels, guessed):.4f} "
              f"({int((guessed != test_labels).sum())} wrong of {len(test_labels)})")


if __name__ == "__main__":
    main()
