"""Image Evidence Desk: the analysis core.

Plain Python, no UI: intake, metadata, the classifier and the result schema. The
dashboard, the CLI and the batch engines all analyse images through
:mod:`core.pipeline`, and only through it.
"""

__version__ = "0.1.0"
