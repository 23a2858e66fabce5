import sys

from benchmarks.accuracy.run import main

sys.exit(main())
