"""Find a classifier's files (local folder or Hugging Face Hub snapshot) and fingerprint them.

Hub models are fetched with ``snapshot_download``: it shows download progress, uses
the local cache, works offline once cached (``HF_HUB_OFFLINE=1``), and its snapshot
folder is named by the commit it resolved, which is the revision recorded in every
result. A local folder is identified by a SHA-256 over its config and weight files,
so "which exact model said this" always has an answer.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import AnalysisError, ClassifierUnavailable
from core.intake import read_bytes

from .model_card import canonical_id, card_for

# Files that decide what a model computes; the fingerprint covers exactly these.
MODEL_FILE_PATTERNS = ("config.json", "preprocessor_config.json", "*.safetensors", "*.bin")


@dataclass(frozen=True)
class ModelFiles:
    model_id: str  # Hub id that was loaded, or the folder path as given
    folder: Path
    revision: str  # commit hash for Hub snapshots, "local-sha256:<hex16>" for folders


def _model_files(folder: Path) -> list[Path]:
    files = {p for pattern in MODEL_FILE_PATTERNS for p in folder.glob(pattern) if p.is_file()}
    return sorted(files)


def fingerprint(folder: Path) -> str:
    """SHA-256 over the names and bytes of the files that define the model."""
    digest = hashlib.sha256()
    for path in _model_files(folder):
        digest.update(path.name.encode() + b"\x00")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or "\\" in model or model.count("/") > 1 or Path(model).exists()


def locate_model(model: str, revision: str) -> ModelFiles:
    """Resolve ``model`` to files on disk, or raise ClassifierUnavailable with what to do."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ClassifierUnavailable(
                f"the model folder {model!r} has no config.json; it is not a saved model"
            )
        refuse_unsafe_config(path, model)
        return ModelFiles(model_id=str(path), folder=path, revision="local-sha256:" + fingerprint(path)[:16])
    if _looks_like_path(model):
        raise ClassifierUnavailable(f"the model folder {model!r} does not exist")
    files = _from_hub(model, revision)
    refuse_unsafe_config(files.folder, model)
    return files


# The configuration files transformers reads for an image classifier, and the fields in them
# that make it import Python code shipped with the model (``trust_remote_code``).
CONFIG_FILES = (
    "config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "image_processor_config.json",
)
CUSTOM_CODE_FIELDS = ("auto_map", "custom_pipelines")
# A configuration file larger than this is not a model's configuration.
MAX_CONFIG_BYTES = 8 * 1024 * 1024


def refuse_unsafe_config(folder: Path, model: str) -> None:
    """Raise ClassifierUnavailable, naming the file and the field, when the model's
    configuration asks for code of its own, or for inputs no image classifier uses: checked
    before transformers reads the folder, so it never asks on standard output whether to run
    that code, never runs it, and never resizes an image to gigabytes. Configuration files are
    read as untrusted files (regular, bounded)."""
    for name in CONFIG_FILES:
        path = folder / name
        if not os.path.lexists(path):
            continue
        try:
            # A Hub cache links each file to its blob: the link is followed, then the rules for
            # untrusted files apply (a regular file, bounded: a FIFO would hang transformers).
            config = json.loads(read_bytes(path.resolve(), MAX_CONFIG_BYTES))
        except AnalysisError as exc:
            raise ClassifierUnavailable(
                f"the model {model!r} has a {name} that cannot be used: {exc.message}"
            ) from exc
        except (ValueError, RecursionError) as exc:
            raise ClassifierUnavailable(f"the model {model!r} has a {name} that is not JSON ({exc})") from exc
        fields = [f for f in CUSTOM_CODE_FIELDS if isinstance(config, dict) and f in config]
        if fields:
            raise ClassifierUnavailable(
                f"the model {model!r} asks to run code of its own ({name}: {', '.join(fields)}); this tool "
                "never runs a model's own code. Use a model that transformers loads with its built-in classes."
            )
        if isinstance(config, dict) and (field := _oversized_input(config)):
            raise ClassifierUnavailable(
                f"the model {model!r} asks for inputs larger than any image classifier's ({name}: {field}); "
                f"every image would be resized to it (at most {MAX_INPUT_SIDE} pixels a side are accepted)"
            )


# The largest input side a classifier may ask for (SwinV2 uses 256; the largest public vision
# backbones stay under 1,024): a config asking 100,000 would make every image tens of gigabytes.
MAX_INPUT_SIDE = 4096
_SIZE_FIELDS = ("image_size", "size", "crop_size", "shortest_edge", "longest_edge", "height", "width")


def _oversized_input(config: dict) -> str | None:
    """The first size field (at the top or one level down, as processor configs nest them) above
    ``MAX_INPUT_SIDE``, as ``field=value``; None when every size is sane."""
    for key, value in config.items():
        if key not in _SIZE_FIELDS:
            continue
        values = value.items() if isinstance(value, dict) else [(key, value)]
        for inner, side in values:
            sides = side if isinstance(side, list) else [side]
            if any(
                isinstance(n, int | float) and not isinstance(n, bool) and n > MAX_INPUT_SIDE for n in sides
            ):
                return f"{key}" + (f".{inner}" if inner != key else "") + f"={side}"
    return None


def _from_hub(model: str, revision: str) -> ModelFiles:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    card = card_for(model)
    # Try the current name first, then former names (a cache may hold the old one).
    candidates = [canonical_id(model)] + [
        a for a in (card.aliases if card else ()) if a != canonical_id(model)
    ]
    last: Exception | None = None
    for repo_id in candidates:
        try:
            folder = Path(
                snapshot_download(repo_id, revision=revision, allow_patterns=["*.json", "*.safetensors"])
            )
            if not list(folder.glob("*.safetensors")):
                # Older checkpoints ship only PyTorch pickles; fetch those only when needed.
                folder = Path(
                    snapshot_download(repo_id, revision=revision, allow_patterns=["*.json", "*.bin"])
                )
            return ModelFiles(model_id=repo_id, folder=folder, revision=folder.name)
        except (
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            GatedRepoError,
            RevisionNotFoundError,
        ) as exc:
            last = exc
        except Exception as exc:  # HTTP errors, a full disk, a corrupt cache entry
            raise ClassifierUnavailable(
                f"could not fetch {repo_id!r} from the Hugging Face Hub: {exc}"
            ) from exc
    if isinstance(last, RevisionNotFoundError):
        raise ClassifierUnavailable(
            f"revision {revision!r} of {model!r} does not exist on the Hugging Face Hub"
        ) from last
    if isinstance(last, GatedRepoError | RepositoryNotFoundError):
        raise ClassifierUnavailable(
            f"{model!r} is not a public model on the Hugging Face Hub (not found, private or gated)"
        ) from last
    raise ClassifierUnavailable(
        f"the weights of {canonical_id(model)!r} (revision {revision!r}) are not on this machine and the "
        "Hugging Face Hub cannot be reached (offline, HF_HUB_OFFLINE=1, or no network). To fix: run once "
        "with a network connection so they are cached; or download them on a connected machine "
        f"(hf download {canonical_id(model)} --local-dir DIR), copy DIR here and point the setting model at it "
        "(FORENSICS_MODEL=DIR, or --model DIR on the command line); or switch the classifier off (setting "
        "classifier=false, --no-classifier). The rest of the analysis runs without it."
    ) from last


def describe_local_model(model: str, revision: str) -> dict:
    """Weight hash and preprocessing settings of a model already on this machine (never downloads).

    ``revision`` is what a result recorded: a Hub commit, or ``local-sha256:<hex>`` for a folder.
    """
    folder = None
    if revision.startswith("local-sha256:"):
        folder = Path(model).expanduser()
    else:
        try:
            from huggingface_hub import snapshot_download

            folder = Path(snapshot_download(model, revision=revision, local_files_only=True))
        except Exception:
            folder = None
    if folder is None or not folder.is_dir():
        return {"weights_sha256": None, "preprocessing": None, "note": "model files not on this machine"}
    preprocessing = None
    config = folder / "preprocessor_config.json"
    if config.is_file():
        import json

        preprocessing = json.loads(config.read_text(encoding="utf-8"))
    return {"weights_sha256": fingerprint(folder), "preprocessing": preprocessing}
