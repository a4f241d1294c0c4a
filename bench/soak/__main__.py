"""python -m bench.soak (./scripts/soak)."""

import sys

from bench.soak.cli import main

sys.exit(main())
