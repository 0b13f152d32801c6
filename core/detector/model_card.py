"""Model cards: what the project knows about each classifier it can load.

A card is the single place for a model's source, input size, labels, licence and the
limits that must accompany every score it gives (``docs/airealnet.md`` in the shared
notes; the Hub card of Modotte/AIRealNet).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelCard:
    hub_id: str
    aliases: tuple[str, ...]
    licence: str
    input_size: int
    labels: tuple[str, ...]
    architecture: str
    training_data: str
    limits: tuple[str, ...]


AIREALNET = ModelCard(
    hub_id="Modotte/AIRealNet",
    aliases=("XenArcAI/AIRealNet",),  # the organisation was renamed; the old id redirects
    licence="MIT",
    input_size=256,
    labels=("artificial", "real"),
    architecture="SwinV2 image classifier (SwinV2-Large geometry, about 195M parameters)",
    training_data="Parveshiiii/AI-vs-Real: about 14k images, roughly 60% AI-generated and 40% human photos",
    limits=(
        "Trained on about 14k images; it can miss images from generators it never saw.",
        "Misses subtle AI edits of real photos and does not flag AI-modified photos of real people.",
        "Personal photos and news photos of people were excluded from training: portraits are outside "
        "what it learnt.",
        "Its published accuracy comes from a controlled dataset; real-world accuracy is lower, and "
        "re-compression or resizing can move its score.",
        "A score is statistical evidence only: it never proves that an image is AI-generated or authentic.",
    ),
)

CARDS = (AIREALNET,)


def card_for(model_id: str) -> ModelCard | None:
    """The card of a Hub id or one of its former names (case-insensitive)."""
    wanted = model_id.strip().lower()
    for card in CARDS:
        if wanted in {card.hub_id.lower(), *(a.lower() for a in card.aliases)}:
            return card
    return None


def canonical_id(model_id: str) -> str:
    """Map a former repository name to the current one; other ids pass unchanged."""
    card = card_for(model_id)
    return card.hub_id if card else model_id
