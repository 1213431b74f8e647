"""`python -m guidance ...`: see guidance.cli."""

import sys

from guidance.cli import main

sys.exit(main())
