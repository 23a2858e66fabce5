"""Detection must not raise on odd but plausible text: a raise fails the whole text closed.

Chat turns and answers with their spaces swapped for newlines, tabs, non-breaking spaces, blank
lines and stray punctuation, in any case (seeded). `names.cue_names` once raised ValueError when a
frame's `\\s` took a newline ("Hi Anna\\nJr. thanks"); 10 000 texts of this kind found nothing else."""

from __future__ import annotations

import random

from benchmarks.throughput.world import _Voices
from scrubber.detection import DetectionConfig, Detector

WHITESPACE = ["\n", "  ", "\t", "\n\n", " \n ", "\u00a0", "\u2028", "\r\n"]
EXTRA = [*WHITESPACE, ".", ",", "-", "'", "(", ")", "@"]


def _mangled(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(chars))
        if chars[i] == " ":
            chars[i] = rng.choice(WHITESPACE)
        elif rng.random() < 0.3:
            chars.insert(i, rng.choice(EXTRA))
    out = "".join(chars)
    roll = rng.random()
    return out.lower() if roll < 0.3 else out.upper() if roll < 0.4 else out


def test_mangled_chat_text_never_raises() -> None:
    voices, rng = _Voices(5), random.Random(20261201)
    texts = [_mangled(f"{voices.user_turn()} {voices.answer()}", rng) for _ in range(250)]
    texts += ["Hi Anna\nJr. thanks", "Dear  Maria  Lopez,\n\nthanks", "Mr.\nSmith", "\n\nDr.\t\tJane\n"]
    detector = Detector(DetectionConfig(cache={"max_entries": 0}))
    found = []
    for i in range(0, len(texts), 25):
        batch = texts[i:i + 25]
        found += detector.detect(batch, [True] * len(batch))
    assert len(found) == len(texts)
    assert sum(map(len, found)) > 250  # these texts carry names, e-mails and phones: detection really ran
