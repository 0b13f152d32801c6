"""Golden outputs of the generator parsers (after sd-parsers, which keeps an expected output
beside each sample): every generator output in ``../shared/corpus/ai_meta`` is read and parsed
in this process, without the file workers, and every signature found must equal the expected
output kept in ``tests/golden/generators/<corpus path>.json``.

A parser change that alters any prompt, model, seed or setting of a real file shows here as
a diff. When the change is intended, rewrite the goldens and review the diff in the commit:
``UPDATE_GOLDENS=1 python -m pytest tests/test_generator_goldens.py``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from core.metadata import extract_metadata
from core.provenance import analyze_provenance
from core.schema import C2PAState, to_dict
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus"
AI_META = CORPUS / "ai_meta"
GOLDEN = ROOT / "tests" / "golden" / "generators"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"

SAMPLES = (
    sorted(p.relative_to(AI_META).as_posix() for p in AI_META.rglob("*") if p.is_file())
    if AI_META.is_dir()
    else []
)

pytestmark = pytest.mark.skipif(not SAMPLES, reason=f"the real-file corpus is not at {CORPUS}")


def parse(path: Path) -> dict:
    """Metadata blocks, then the generator parsers, exactly as the analyzers call them."""
    data = path.read_bytes()
    image = Image.open(io.BytesIO(data))
    metadata, _ = extract_metadata(data, image)
    provenance, notices = analyze_provenance(C2PAState(present=False), metadata, lambda: image)
    return {
        "generators": [to_dict(g) for g in provenance.generators],
        "ai_declared": provenance.ai_declared,
        "notices": [n.code for n in notices],
    }


@pytest.mark.parametrize("sample", SAMPLES)
def test_generator_parsers_match_their_golden_output(sample):
    got = parse(AI_META / sample)
    golden = GOLDEN / f"{sample}.json"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(
            json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert golden.exists(), f"no golden output for {sample}: run with UPDATE_GOLDENS=1 and review it"
    assert got == json.loads(golden.read_text(encoding="utf-8"))


def test_every_golden_output_has_its_sample():
    """A golden left behind by a removed or renamed sample is an error, not a silent pass."""
    kept = sorted(p.relative_to(GOLDEN).as_posix().removesuffix(".json") for p in GOLDEN.rglob("*.json"))
    assert kept == SAMPLES
