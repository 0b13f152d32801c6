"""Shared fixtures. Nothing here downloads: the Hub is switched off before anything imports it."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
# Exported models and other caches go to a throwaway folder, not the tester's home.
os.environ["XDG_CACHE_HOME"] = __import__("tempfile").mkdtemp(prefix="forensics-test-cache-")
# The case stores' anchor key (per-user config folder by default) too.
os.environ["XDG_CONFIG_HOME"] = __import__("tempfile").mkdtemp(prefix="forensics-test-config-")
# And the default case store with its seen-before index (per-user data folder): a desk's own
# index there would otherwise be searched by every scan of the tests.
os.environ["XDG_DATA_HOME"] = __import__("tempfile").mkdtemp(prefix="forensics-test-data-")
# No test's rows depend on what an earlier test put in the seen-before index; the tests of the
# index switch it on for themselves (tests/test_seen_before.py).
os.environ["FORENSICS_SEEN_BEFORE"] = "off"
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


# Shared helpers: every test that needs one of these imports it from here.


def analyse_bytes(data: bytes, name: str = "f.jpg", **settings):
    """One file analysed as a scan would, the classifier off unless a setting says otherwise."""
    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    return analyze(Source.from_bytes(name, data), make_context(Settings(**{"classifier": False, **settings})))


def make_zip(files: dict[str, bytes], compression: int | None = None) -> bytes:
    """A ZIP archive of ``{member name: bytes}`` (deflated unless told otherwise)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compression is None else compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None) -> CliRun:
    """``python -m core ARGS`` in this process (no interpreter start, no torch import per call):
    exit code, standard output and standard error as text. ``env`` is set for the run only."""
    import contextlib
    import io

    from core.cli import main

    out, err = io.BytesIO(), io.StringIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    with contextlib.ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        stack.enter_context(contextlib.redirect_stdout(stdout))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    stdout.flush()
    return CliRun(code, out.getvalue().decode("utf-8"), err.getvalue())


@pytest.fixture
def fresh_server_cache():
    """A test that starts like a new server: the dashboard's cached context (classifier, trust
    lists) depends on the environment the test sets."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()
