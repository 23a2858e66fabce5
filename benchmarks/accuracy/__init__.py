"""Detection accuracy as users see it (issue 8).

`python -m benchmarks.accuracy` (run.py): labeled items (items.py) from the `dev`
corpus (dev.py, generated, for tuning) or the `heldout` corpus (heldout/*.txt in
the markup of markup.py, hand-written, report only) go into real OTLP carriers
(carriers.py), through the real pii processor and Presidio's defaults
(systems.py), and are judged for verbatim and partial leaks (leaks.py).
`benchmarks.accuracy.spans` is the older span-overlap benchmark of the detector
alone on corpus.py.
"""
