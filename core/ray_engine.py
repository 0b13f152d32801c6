"""The same analysis on a Ray cluster, with Ray Data (``python -m core scan SOURCE --engine ray``).

Two stages, as on one machine (``core.scan``) but spread over the cluster:

1. a CPU stage of stateless tasks: read the bytes, hash, sniff, decode, metadata,
   provenance and forensics (``core.pipeline.prepare``, the local engine's own code);
2. a stage of model replicas as actors (``core.pipeline.complete``): the classifier,
   stability and the evidence ledger. One replica per GPU when the cluster has GPUs,
   otherwise one CPU replica per node (OpenVINO uses the node's cores itself).

The rows come back to the driver in listing order and are written as they arrive,
so the output is the local engine's, row for row. Sources are listed on the driver by
``core.sources.list_sources``, the local engine's rules: a local folder, file, glob or
ZIP archive (every node must see the same path, e.g. a shared mount), or a URI that
pyarrow's filesystems read (``s3://``, ``gs://``, ``file://``...).
Ray is an optional extra: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import warnings
from collections.abc import Iterator
from pathlib import Path

import core
from core.context import Context, make_context
from core.errors import AnalysisError
from core.pipeline import complete, prepare_safely
from core.provenance.c2pa_credentials import load_trust_lists
from core.schema import ScanResult
from core.settings import Settings
from core.sources import Source

# Files per CPU-stage task: enough to amortise task overhead, small enough to spread.
FILES_PER_TASK = 4
# Environment the driver passes on to the workers (offline mode, model cache).
PASSED_ENV = ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE")


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


class PrepareFiles:
    """The CPU stage, a pool of Ray actors: one partial result (and the classifier's pixels) per
    file, each file parsed under the per-file limits (``prepare_safely``)."""

    def __init__(self, settings: Settings):
        # No classifier here (that is the model stage's job): settings and trust anchors only.
        self.ctx = Context(settings, trust_lists=load_trust_lists(settings.trust_anchors))

    def __call__(self, batch: dict) -> dict:
        # Each source is read by the worker that analyses it (a local path every node sees,
        # a URI, or a member of a local ZIP archive).
        partial = [pickle.dumps(prepare_safely(pickle.loads(blob), self.ctx)) for blob in batch["source"]]
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


class FingerprintFiles:
    """The seen-before index's stage (``index add|search --engine ray``): each file fingerprinted
    by ``fingerprint_file`` under the per-file limits; a file that cannot be is its error."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def __call__(self, batch: dict) -> dict:
        from core.index.fingerprint import fingerprint_file  # the index's stack, only in this stage

        found = []
        for blob in batch["source"]:
            try:
                found.append(pickle.dumps(fingerprint_file(pickle.loads(blob), self.settings)))
            except AnalysisError as exc:
                found.append(pickle.dumps(exc))
        return {"fingerprint": found}


def fingerprints_on_ray(sources: list[Source], settings: Settings) -> Iterator:
    """The fingerprint of each of ``sources`` (or its AnalysisError), in listing order, made on
    every CPU of the connected cluster: how a large archive is put in the seen-before index."""
    import ray.data

    if not sources:
        return
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ray.data.DataContext.get_current().enable_progress_bars = False
    dataset = ray.data.from_items(
        [{"source": pickle.dumps(source)} for source in sources],
        override_num_blocks=max(1, min(1000, -(-len(sources) // FILES_PER_TASK))),
    ).map_batches(
        FingerprintFiles,
        fn_constructor_args=(settings,),
        batch_size=FILES_PER_TASK,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=_cpus()),
        num_cpus=1,
    )
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        for blob in batch["fingerprint"]:
            yield pickle.loads(blob)


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


def add_engine_options(parser, what: str) -> None:
    """``--engine`` and ``--address``, as every command that can run on Ray takes them."""
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help=f"local (this machine) or ray (a Ray cluster: requirements-ray.txt); {what}",
    )
    parser.add_argument(
        "--address", help="Ray cluster to join (host:port); without it a local Ray instance starts"
    )


def join(address: str | None) -> None:
    """``connect``, with what went wrong said as a usage error (ValueError, ConnectionError)."""
    if not ray_available():
        raise ValueError("the Ray engine needs Ray: pip install -r requirements-ray.txt")
    try:
        connect(address)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
        raise ConnectionError(
            f"cannot join the Ray cluster at {address or 'a new local instance'}: {exc}"
        ) from exc


def connect(address: str | None) -> None:
    """Join the cluster at ``address``, or start a local Ray instance when there is none."""
    import ray

    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    # Ship this package to the workers, so a cluster needs Ray and the requirements, not a checkout.
    runtime_env = {"py_modules": [str(Path(core.__file__).parent)], "env_vars": env}
    # The rows are the output: Ray's own INFO lines would drown the summary on stderr.
    ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, logging_level=logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"ray\.")  # sizing hints for tiny scans


def scan_on_ray(sources: list[Source], settings: Settings) -> Iterator[ScanResult]:
    """Analyse ``sources`` (``core.sources.list_sources``) on the connected cluster, yielding
    results in listing order."""
    import ray.data

    if not sources:
        return
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # the local engine's row order
    context.enable_progress_bars = False
    replicas, gpus = model_replicas()
    rows = [{"source": pickle.dumps(source)} for source in sources]
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
