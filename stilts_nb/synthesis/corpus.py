"""Where the real sentences come from, and the authors' rule that cuts them into premise + ending.

Corpora (``--corpus``):
    gensim-enwiki   the ~200 real English Wikipedia articles in gensim's test data (offline);
    squad           SQuAD v1.1 train contexts (Wikipedia): $STILTS_DATA_DIR/squad/train-v1.1.json
                    if present, else the hub dataset ``rajpurkar/squad``;
    PATH            a SQuAD-format ``*.json``, a Wikipedia dump ``*.xml[.bz2]``, or a plain text
                    file with one paragraph per line.
"""
from __future__ import annotations

import bz2
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..assets import data_dir
from ..errors import UserError, where

GENSIM_WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


@dataclass(frozen=True)
class SentenceRule:
    """The authors' cut. ``drop_last_word`` is their quirk: the true ending loses its last word."""

    max_words: int = 30
    min_words: int = 20
    drop_last_word: bool = True

    def split(self, sentence: str) -> tuple[str, str] | None:
        """(premise, true ending), or None for a sentence that is too short."""
        words = sentence.split()[: self.max_words]
        if len(words) < self.min_words:
            return None
        half = len(words) // 2
        tail = words[half:-1] if self.drop_last_word else words[half:]
        return " ".join(words[:half]), " ".join(tail)


def sentences(paragraph: str) -> list[str]:
    """The authors split on '. ' only (no sentence tokenizer); we keep that."""
    return paragraph.split(". ")


def corpus_label(spec: str) -> str:
    """What each example records as its ``source``: the corpus name, or the file's name."""
    return spec if spec in ("gensim-enwiki", "squad") else Path(spec).name


def paragraphs(spec: str) -> Iterator[str]:
    """The paragraphs of a corpus, in corpus order (the order matters: the seeded shuffle
    starts from it)."""
    if spec == "gensim-enwiki":
        from gensim.test.utils import datapath

        yield from _wiki_dump(Path(datapath(GENSIM_WIKI)))
        return
    if spec == "squad":
        local = data_dir() / "squad" / "train-v1.1.json"
        yield from (_squad_json(local) if local.exists() else _squad_hub())
        return
    path = Path(spec)
    if not path.is_file():
        raise UserError(f"--corpus {spec!r}: no such file (or use gensim-enwiki / squad)")
    name = path.name.lower()
    if name.endswith(".json"):
        yield from _squad_json(path)
    elif name.endswith((".xml", ".xml.bz2")):
        yield from _wiki_dump(path)
    else:
        yield from _text_lines(path)


# wiki markup that gensim's filter_wiki leaves in: '''bold''' / ''italic'' quotes and the
# bullets / indents that start list lines. Left in, they would mark the real ending as real.
_QUOTES = re.compile(r"'{2,}")
_BULLET = re.compile(r"^[*#:;]+\s*")
_HEADING = re.compile(r"^=+.*=+$")


def _wiki_dump(path: Path) -> Iterator[str]:
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    opener = bz2.open if path.name.endswith(".bz2") else open
    try:
        with opener(path, "rb") as f:
            # namespace 0 = articles (no talk/user/template pages)
            for _title, text, _pageid in extract_pages(f, filter_namespaces=("0",)):
                if text.lstrip()[:9].upper() == "#REDIRECT":  # a pointer, not an article
                    continue
                # a newline separates paragraphs, list items and headings: never join across it
                for line in filter_wiki(text).split("\n"):
                    line = _BULLET.sub("", _QUOTES.sub("", line)).strip()
                    if line and not _HEADING.match(line):
                        yield line
    except (OSError, EOFError, SyntaxError) as err:  # bz2 / XML errors (ParseError is a SyntaxError)
        raise UserError(f"{path}: not a readable Wikipedia dump: {err}") from None


def _squad_json(path: Path) -> Iterator[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles = data["data"]
        contexts = [p["context"] for a in articles for p in a["paragraphs"]]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: cannot read SQuAD json: {err}") from None
    except (KeyError, TypeError):
        raise UserError(f"{path}: not SQuAD v1.1 format (expected data[].paragraphs[].context)") from None
    yield from _unique(contexts)


def _squad_hub() -> Iterator[str]:
    try:
        from datasets import load_dataset

        rows = load_dataset("rajpurkar/squad", split="train")
    except Exception as err:  # offline / no cache: the datasets library raises many types
        raise UserError(f"--corpus squad: no local {data_dir() / 'squad/train-v1.1.json'} and the hub "
                        f"dataset rajpurkar/squad is unavailable ({type(err).__name__})") from None
    # the hub rows are one per question; each context paragraph repeats, so keep its first copy
    yield from _unique(rows["context"])


def _unique(items) -> Iterator[str]:
    seen = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


def _text_lines(path: Path) -> Iterator[str]:
    try:
        f = open(path, "rb")  # bytes, decoded line by line, so an error can name its line
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror}") from None
    with f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as err:
                raise UserError(f"{where(path, lineno)}: not UTF-8 text ({err.reason})") from None
            if line:
                yield line


@dataclass
class Pool:
    """Unique (premise, ending) pairs in corpus order, with what was skipped on the way."""

    pairs: list[tuple[str, str]]
    paragraphs: int
    sentences: int
    too_short: int
    duplicates: int


def sentence_pool(spec: str, rule: SentenceRule = SentenceRule()) -> Pool:
    pairs, seen = [], set()
    n_par = n_sent = short = dup = 0
    for paragraph in paragraphs(spec):
        n_par += 1
        for sentence in sentences(paragraph):
            n_sent += 1
            pair = rule.split(sentence)
            if pair is None:
                short += 1
            elif pair in seen:  # a repeated sentence would sit in train and dev at once
                dup += 1
            else:
                seen.add(pair)
                pairs.append(pair)
    if n_par == 0:
        raise UserError(f"--corpus {spec!r}: the corpus is empty (no paragraphs)")
    if not pairs:
        raise UserError(f"--corpus {spec!r}: none of its {n_sent} sentences has "
                        f"{rule.min_words} or more words")
    return Pool(pairs, n_par, n_sent, short, dup)
