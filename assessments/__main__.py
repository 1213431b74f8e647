"""``python -m assessments``: see assessments.cli."""

import sys

from assessments.cli import main

sys.exit(main())
