"""`python -m scrubber` is the same program as the `scrubber` console script."""

from scrubber.cli import main

raise SystemExit(main())
