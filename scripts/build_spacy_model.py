"""Build the small Spanish spaCy pipeline used by configs/config_spacy.yml.

The es_core_news_* packages cannot be installed here and nothing may be
downloaded at run time, so this builds the pipeline from what is already in
the virtualenv: a blank Spanish tokenizer (spacy.blank("es")) plus a lookup
lemmatizer whose table comes from the installed `spacy-lookups-data` package.
No vectors, no tagger, no parser: it only provides tokens and lemmas.

    .venv/bin/python -m scripts.build_spacy_model [OUTPUT_DIR]   # default models/spacy-es

The output directory is loadable with spacy.load(OUTPUT_DIR), which is what
Rasa's SpacyNLP component does with `model: models/spacy-es`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = "models/spacy-es"
# (text, expected lemma) pairs checked after building and after reloading.
# The lookup table is context-free, so some nouns get a verb lemma
# ("factura" -> "facturar"); that is harmless for bag-of-words features.
CHECKS = [("tengo", "tener"), ("pagué", "pagar"), ("cortes", "corte"), ("recibos", "recibo")]


def build():
    import spacy

    nlp = spacy.blank("es")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Loads the es_lemma_lookup table from the spacy_lookups_data package
    # (an installed Python package: no network access involved).
    nlp.initialize()
    return nlp


def check(nlp, label: str) -> None:
    got = [(text, nlp(text)[0].lemma_) for text, _ in CHECKS]
    wrong = [(t, g, e) for (t, g), (_, e) in zip(got, CHECKS, strict=False) if g != e]
    if wrong:
        raise SystemExit(f"{label}: unexpected lemmas (text, got, expected): {wrong}")
    print(f"{label}: " + ", ".join(f"{t} -> {g}" for t, g in got))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    args = parser.parse_args()
    out = Path(args.out)
    if not out.is_absolute():
        out = ROOT / out

    import spacy

    nlp = build()
    check(nlp, "built")
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    check(spacy.load(out), "reloaded")
    print(f"saved spaCy {spacy.__version__} pipeline {nlp.pipe_names} (lang es) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
