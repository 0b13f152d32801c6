"""``python -m core``: the command-line interface."""

import os
import sys

from core import isolation

# The commands that analyse files hand each one to a worker process, which imports the
# analysis modules first (0.35 s): started here, the workers import them while this
# process imports the CLI's, instead of after.
if len(sys.argv) > 1 and sys.argv[1] in ("scan", "case", "calibrate"):
    isolation.start_spares("core.pipeline", os.cpu_count() or 1)

from core.cli import main  # noqa: E402 (after the workers are on their way)

sys.exit(main())
