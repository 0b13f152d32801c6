"""Shared fixtures. Nothing here downloads: the Hub is switched off before anything imports it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
# Exported models and other caches go to a throwaway folder, not the tester's home.
os.environ["XDG_CACHE_HOME"] = __import__("tempfile").mkdtemp(prefix="forensics-test-cache-")
# The case stores' anchor key (per-user config folder by default) too.
os.environ["XDG_CONFIG_HOME"] = __import__("tempfile").mkdtemp(prefix="forensics-test-config-")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

# AIRealNet's preprocessor_config.json, byte for byte in content: no image_processor_type key.
AIREALNET_PREPROCESSOR = {
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
    "size": {"height": 256, "width": 256},
}


def save_tiny_model(folder: Path, id2label: dict[int, str], seed: int = 0) -> Path:
    """A random Swinv2ForImageClassification with AIRealNet's config keys, tiny dimensions."""
    import torch
    from transformers import Swinv2Config, Swinv2ForImageClassification

    torch.manual_seed(seed)
    config = Swinv2Config(
        image_size=256,
        patch_size=4,
        window_size=16,
        num_channels=3,
        embed_dim=8,
        depths=[1, 1, 1, 1],
        num_heads=[1, 1, 1, 2],
        pretrained_window_sizes=[0, 0, 0, 0],
        mlp_ratio=2.0,
        drop_path_rate=0.1,
        encoder_stride=32,
        id2label={int(k): v for k, v in id2label.items()},
        label2id={v: int(k) for k, v in id2label.items()},
        architectures=["Swinv2ForImageClassification"],
    )
    model = Swinv2ForImageClassification(config).eval()
    # Random heads give near-0.5 scores; widen the head so scores differ between images.
    with torch.no_grad():
        model.classifier.weight.mul_(50.0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps(AIREALNET_PREPROCESSOR))
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("models") / "tiny", {0: "artificial", 1: "real"})


@pytest.fixture(scope="session")
def tiny_model_swapped(tmp_path_factory) -> Path:
    """Same weights as ``tiny_model`` (same seed), label names in the other order."""
    return save_tiny_model(tmp_path_factory.mktemp("models") / "swapped", {0: "real", 1: "artificial"})
