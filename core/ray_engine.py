"""The same analysis on a Ray cluster, with Ray Data (``python -m core scan SOURCE --engine ray``).

Two stages, as on one machine (``core.scan``) but spread over the cluster:

1. a CPU stage of stateless tasks: read the bytes, hash, sniff, decode, metadata,
   provenance and forensics (``core.pipeline.prepare``, the local engine's own code);
2. a stage of model replicas as actors (``core.pipeline.complete``): the classifier,
   stability and the evidence ledger. One replica per GPU when the cluster has GPUs,
   otherwise one CPU replica per node (OpenVINO uses the node's cores itself).

The rows come back to the driver in listing order and are written as they arrive,
so the output is the local engine's, row for row. Files are listed on the driver:
a local folder, file or glob (every node must see the same path, e.g. a shared
mount), or a URI that pyarrow's filesystems read (``s3://``, ``gs://``, ``file://``...).
Ray is an optional extra: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import logging
import os
import pickle
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.errors import AnalysisError, ReadFailed
from core.intake import refuse_oversized
from core.pipeline import Context, Source, complete, make_context, prepare_safely
from core.provenance.c2pa_credentials import load_trust_anchors
from core.scan import list_files
from core.schema import ScanResult
from core.settings import Settings

# Files per CPU-stage task: enough to amortise task overhead, small enough to spread.
FILES_PER_TASK = 4
GLOB_CHARS = "*?["
# Environment the driver passes on to the workers (offline mode, model cache).
PASSED_ENV = ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE")


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Listed:
    """One file to analyse: the path shown in results, and how a worker reads it."""

    path: str
    uri: str | None = None  # a pyarrow filesystem URI; None for a plain local path


def list_source(source: str) -> list[Listed]:
    """Every file under ``source``: a folder (recursive), a file, a glob, or a URI.

    Raises FileNotFoundError when nothing matches a plain path (a usage error, as in the
    local engine); a glob or a URI prefix that matches nothing is an empty scan.
    """
    if "://" in source:
        return _list_uri(source)
    if any(c in source for c in GLOB_CHARS):
        matches = sorted(glob.glob(source, recursive=True))
        return [Listed(str(p)) for p in list_files(matches)]
    return [Listed(str(p)) for p in list_files([source])]


def _list_uri(source: str) -> list[Listed]:
    from pyarrow import fs as pafs

    scheme = source.split("://", 1)[0]
    cut = min((source.find(c) for c in GLOB_CHARS if c in source), default=-1)
    base_uri = source if cut < 0 else source[: source.rfind("/", 0, cut) + 1]
    filesystem, base = pafs.FileSystem.from_uri(base_uri)
    info = filesystem.get_file_info(base)
    if info.type == pafs.FileType.File:
        infos = [info]
    elif info.type == pafs.FileType.Directory:
        infos = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    else:
        raise FileNotFoundError(f"no such file or folder: {source}")
    pattern = None if cut < 0 else filesystem.normalize_path(pafs.FileSystem.from_uri(source)[1])
    found = []
    for entry in sorted(infos, key=lambda i: i.path):
        if entry.type != pafs.FileType.File or (pattern and not fnmatch.fnmatchcase(entry.path, pattern)):
            continue
        uri = f"{scheme}://{entry.path}"
        found.append(Listed(uri, uri))
    return found


def read_uri(uri: str, max_bytes: int) -> bytes:
    """A file's bytes through pyarrow's filesystems, refusing oversized files before reading."""
    from pyarrow import fs as pafs

    try:
        filesystem, path = pafs.FileSystem.from_uri(uri)
        refuse_oversized(filesystem.get_file_info(path).size or 0, max_bytes)
        with filesystem.open_input_file(path) as fh:
            return fh.read()  # the size was checked above; objects do not grow while read
    except AnalysisError:
        raise
    except OSError as exc:
        raise ReadFailed(f"cannot read the file: {exc}") from exc


def _source(item: Listed, max_bytes: int) -> Source:
    if item.uri is None:
        return Source.from_path(item.path)
    try:  # the file name shown is the URI's last part (Source.name)
        return Source(path=item.path, data=read_uri(item.uri, max_bytes))
    except AnalysisError as exc:
        return Source(path=item.path, error=exc)


class PrepareFiles:
    """The CPU stage, a pool of Ray actors: one partial result (and the classifier's pixels) per
    file, each file parsed under the per-file limits (``prepare_safely``)."""

    def __init__(self, settings: Settings):
        # No classifier here (that is the model stage's job): settings and trust anchors only.
        self.ctx = Context(settings, trust_anchors_pem=load_trust_anchors(settings.trust_anchors))

    def __call__(self, batch: dict) -> dict:
        partial = []
        for path, uri in zip(batch["path"], batch["uri"], strict=True):
            item = Listed(str(path), str(uri) if uri else None)
            source = _source(item, self.ctx.settings.max_file_bytes)
            partial.append(pickle.dumps(prepare_safely(source, self.ctx)))
        return {"partial": partial}


class ClassifyFiles:
    """The model stage, as actors: each loads the classifier once, then scores batch after batch."""

    def __init__(self, settings: Settings):
        import torch

        # Ray limits an actor's OpenMP threads to its logical CPUs (one); a CPU replica is
        # meant to use its node's cores, as the local engine does (OpenVINO ignores the cap).
        torch.set_num_threads(os.cpu_count() or 1)
        self.ctx = make_context(settings)

    def __call__(self, batch: dict) -> dict:
        rows = [pickle.loads(blob) for blob in batch["partial"]]
        results = complete(rows, self.ctx)
        return {"result": [json.dumps(r.to_dict(), ensure_ascii=False) for r in results]}


def model_replicas() -> tuple[int, float]:
    """How many model actors to start, and the GPUs each one takes."""
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus:
        return gpus, 1.0
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    # Each CPU replica holds one logical CPU: leave at least one for the CPU stage.
    return max(1, min(nodes, _cpus() - 1)), 0.0


def _cpus() -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def connect(address: str | None) -> None:
    """Join the cluster at ``address``, or start a local Ray instance when there is none."""
    import ray

    import core

    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    # Ship this package to the workers, so a cluster needs Ray and the requirements, not a checkout.
    runtime_env = {"py_modules": [str(Path(core.__file__).parent)], "env_vars": env}
    # The rows are the output: Ray's own INFO lines would drown the summary on stderr.
    ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, logging_level=logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"ray\.")  # sizing hints for tiny scans


def scan_on_ray(items: list[Listed], settings: Settings) -> Iterator[ScanResult]:
    """Analyse ``items`` on the connected cluster, yielding results in listing order."""
    import ray.data

    if not items:
        return
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # the local engine's row order
    context.enable_progress_bars = False
    replicas, gpus = model_replicas()
    rows = [{"path": i.path, "uri": i.uri or ""} for i in items]
    # Blocks of a few files each, so the CPU stage spreads over every node from the start.
    dataset = ray.data.from_items(
        rows, override_num_blocks=max(1, min(1000, -(-len(rows) // FILES_PER_TASK)))
    )
    dataset = dataset.map_batches(
        PrepareFiles,
        fn_constructor_args=(settings,),
        batch_size=FILES_PER_TASK,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=max(1, _cpus() - (0 if gpus else replicas))),
        num_cpus=1,
    )
    dataset = dataset.map_batches(
        ClassifyFiles,
        fn_constructor_args=(settings,),
        batch_size=max(1, settings.batch_size),
        compute=ray.data.ActorPoolStrategy(size=replicas),
        num_gpus=gpus,
        num_cpus=0 if gpus else 1,
    )
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        for text in batch["result"]:
            yield ScanResult.from_dict(json.loads(str(text)))
