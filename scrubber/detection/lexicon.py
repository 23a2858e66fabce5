"""Name and common-word lexicon: the gazetteer evidence for lone names and the veto for plain words.

Why a derived file. The `names-dataset` package (first and last names of 105
countries with per-country popularity ranks) unpickles to about 1.5 GB and takes
~15 s: far too much for every detection worker. `wordfreq` (word frequencies of
many languages) is lighter but still tens of MB per language. So
`python -m scrubber.detection.lexicon build` (needs the `lexicon` extra) derives
one small table, `data/lexicon.tsv.gz`, which ships in the wheel and loads in
well under a second:

- section `#F`, lines `<name> TAB <rank>`: first names whose best rank in any country is <= FIRST_RANK;
- section `#L`: last names whose best rank is <= LAST_RANK;
- section `#W`: the WORDS most frequent words of each of LANGUAGES (best
  rank across them), and the Hindi-in-Latin-script function words below, which
  no frequency list covers.

A name is judged against its rank as a word (`Lexicon.name_like`): "Priya" is a
name, "Can" and "Will" are words first, "John" is a name although it is frequent.
"""

from __future__ import annotations

import gzip
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

DATA_FILE = Path(__file__).parent / "data" / "lexicon.tsv.gz"
FIRST_RANK = 4000
LAST_RANK = 4000
WORDS = 25_000
LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "tr", "id")
#: frequent words of Hindi written in Latin script (chat prompts in India); wordfreq has Hindi only
#: in Devanagari. Ranked as common words (HINDI_LATIN_RANK).
HINDI_LATIN_RANK = 500
HINDI_LATIN = (
    "aap aapka aapki aapke mera meri mere mujhe mujhko humko hum hamara naam hai hain ho hoon hu tha thi "
    "kya kyun kaise kahan kab kaun kripya please bhai behen didi ji haan nahi nahin accha acha theek thik "
    "ka ki ke ko se mein par aur ya bhi toh to wala wali kal aaj abhi yeh ye woh wo iska uska inka unka "
    "dhanyavaad dhanyavad shukriya namaste namaskar batao bataiye bataye chahiye karo kijiye karna "
    "madad sahayata number phone pata ghar"
).split()

#: distinct words whose answers `Lexicon.answer` keeps per question; when full it starts again
#: (unique text brings new words forever: the memory stays bounded, under 10 MB for the 14 questions
#: of `persons.py`, and the common words come back at once). 50 requests each of the genai-chat and
#: world-rag-concat workloads hold 6 100 distinct lower-case words.
ANSWER_MEMO_WORDS = 20_000

T = TypeVar("T")


@dataclass(frozen=True)
class Lexicon:
    first: dict[str, int]
    last: dict[str, int]
    words: dict[str, int]
    #: question -> {word -> answer} (`answer`); not part of the lexicon's value
    _answers: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def answer(self, question: Callable[[Lexicon, str], T], word: str) -> T:
        """`question(self, word)`, remembered per word.

        Why: the name passes ask the same few questions (is it a cued name, a listed name...) of
        every token, and chat repeats a few thousand distinct words over and over; each answer costs
        several case folds and table look-ups. The tables are fixed after load, so a question that
        reads only the lexicon and the word always gives the same answer for the same word."""
        memo = self._answers.get(question)
        if memo is None:
            memo = self._answers[question] = {}
        try:
            return memo[word]
        except KeyError:
            pass
        if len(memo) >= ANSWER_MEMO_WORDS:
            memo.clear()
        value = memo[word] = question(self, word)
        return value

    def name_rank(self, token: str) -> int | None:
        """Best rank of `token` as a first or last name (lower is more popular), None if unknown."""
        key = token.casefold()
        first, last = self.first.get(key), self.last.get(key)
        if first is None:
            return last
        return first if last is None or first <= last else last

    def word_rank(self, token: str) -> int | None:
        return self.words.get(token.casefold())

    def name_like(self, token: str, strict: bool = False) -> bool:
        """True when `token` is more likely a name than a plain word.

        A name whose popularity as a name beats its frequency as a word by a wide
        margin counts ("John": name rank 1, word rank ~1000). `strict` (a token
        that opens a sentence, where every word is capitalised) wants a wider margin.
        """
        name = self.name_rank(token)
        if name is None or len(token) < 2:
            return False
        word = self.word_rank(token)
        if word is None:
            return True
        margin = 20 if strict else 3
        return name * margin < word

    def common_word(self, token: str, top: int = 5000) -> bool:
        word = self.word_rank(token)
        return word is not None and word <= top and not self.name_like(token)


_lexicon: Lexicon | None = None
_lock = threading.Lock()


def lexicon() -> Lexicon:
    """The shipped lexicon, loaded once per process."""
    global _lexicon
    with _lock:
        if _lexicon is None:
            _lexicon = _load(DATA_FILE)
        return _lexicon


def _load(path: Path) -> Lexicon:
    tables: dict[str, dict[str, int]] = {"F": {}, "L": {}, "W": {}}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for section in f.read().split("\n#")[1:]:  # "#F\n<token>\t<rank>\n..." per table
            kind, _, body = section.partition("\n")
            table = tables[kind]
            for line in body.splitlines():
                token, _, rank = line.partition("\t")
                table[token] = int(rank)
    return Lexicon(tables["F"], tables["L"], tables["W"])


# -- building the table (maintainers only: `pip install '.[lexicon]'`) -------------------------

def _best_ranks(table: dict, limit: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, info in table.items():
        if " " in name or len(name) < 2:
            continue
        ranks = [r for r in (info.get("rank") or {}).values() if r is not None]
        if ranks and min(ranks) <= limit:
            key = name.casefold()
            out[key] = min(out.get(key, limit + 1), min(ranks))
    return out


def build(path: Path = DATA_FILE) -> None:
    from names_dataset import NameDataset
    from wordfreq import top_n_list

    dataset = NameDataset()
    first = _best_ranks(dataset.first_names, FIRST_RANK)
    last = _best_ranks(dataset.last_names, LAST_RANK)
    del dataset
    words: dict[str, int] = {w: HINDI_LATIN_RANK for w in HINDI_LATIN}
    for lang in LANGUAGES:
        for rank, word in enumerate(top_n_list(lang, WORDS), start=1):
            if word.isalpha():
                words[word] = min(words.get(word, rank), rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write("scrubber name lexicon: names-dataset + wordfreq, see scrubber/detection/lexicon.py\n")
        for kind, table in (("F", first), ("L", last), ("W", words)):
            f.write(f"#{kind}\n")
            f.writelines(f"{token}\t{table[token]}\n" for token in sorted(table))
    print(f"{path}: {len(first)} first names, {len(last)} last names, {len(words)} words")


if __name__ == "__main__":
    if sys.argv[1:] != ["build"]:
        sys.exit("usage: python -m scrubber.detection.lexicon build")
    build()
