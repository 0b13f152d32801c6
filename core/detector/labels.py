"""Map a classifier's labels to "artificial" and "real" by their names, never by index.

Checkpoints disagree on label order (AIRealNet has 0=artificial, 1=real; others the
reverse) and on wording (ai/fake/generated, human/authentic). Reading the index alone
would silently invert every score of a model with swapped labels, so a model whose
labels cannot be mapped by name is refused.
"""

from __future__ import annotations

from core.errors import LabelMappingError

ARTIFICIAL_NAMES = frozenset(
    {
        "artificial",
        "ai",
        "ai-generated",
        "aigenerated",
        "ai-image",
        "fake",
        "generated",
        "synthetic",
        "machine-generated",
    }
)
REAL_NAMES = frozenset({"real", "human", "human-made", "authentic", "natural", "photo", "nature", "not-ai"})


def _normalise(label: str) -> str:
    return "-".join(str(label).strip().lower().replace("_", " ").split())


def map_labels(id2label: dict) -> tuple[int, int]:
    """Return ``(artificial_index, real_index)`` or raise LabelMappingError."""
    names = {int(i): _normalise(label) for i, label in (id2label or {}).items()}
    artificial = [i for i, n in names.items() if n in ARTIFICIAL_NAMES]
    real = [i for i, n in names.items() if n in REAL_NAMES]
    if len(names) != 2 or len(artificial) != 1 or len(real) != 1:
        shown = ", ".join(f"{k}={id2label[k]!r}" for k in sorted(id2label or {}, key=int))
        raise LabelMappingError(
            f"the model's labels ({shown or 'none'}) cannot be mapped to AI-generated versus real by name; "
            f"expected two labels, one of {sorted(ARTIFICIAL_NAMES)} and one of {sorted(REAL_NAMES)}. "
            "Refusing to guess by index."
        )
    return artificial[0], real[0]
