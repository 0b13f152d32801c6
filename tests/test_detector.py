"""The classifier, loaded through the same code path users take, on tiny random models."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from core.context import make_context
from core.detector import get_detector, load_detector
from core.detector.labels import map_labels
from core.detector.loader import fingerprint
from core.detector.model_card import canonical_id
from core.errors import ClassifierUnavailable, LabelMappingError
from core.pipeline import analyze_batch
from core.settings import Settings
from core.sources import Source
from tests.conftest import save_tiny_model
from tests.images import encode, photo


def images(n: int = 5):
    return [photo((300 + 40 * i, 220 + 10 * i), seed=i) for i in range(n)]


def test_batched_scores_equal_one_by_one(tiny_model):
    batched = load_detector(str(tiny_model), batch_size=8).predict(images())
    single = load_detector(str(tiny_model), batch_size=1).predict(images())
    assert [round(r.p_artificial, 5) for r in batched] == [round(r.p_artificial, 5) for r in single]
    assert len({round(r.p_artificial, 3) for r in batched}) > 1  # the scores do depend on the image


def test_pytorch_scores_are_those_of_transformers_processor_made_in_threads(tiny_model, monkeypatch):
    """The PyTorch path prepares images in threads with the processor's exact plain-resize
    equivalent: the scores are those of the model on transformers' own input, in order."""
    import torch
    from transformers import AutoImageProcessor

    monkeypatch.setattr("os.cpu_count", lambda: 4)  # threads even on a one-core runner
    detector = load_detector(str(tiny_model), backend="pytorch", batch_size=8)
    assert type(detector.processor).__name__ == "PlainResize"
    theirs = AutoImageProcessor.from_pretrained(tiny_model, backend="pil")(
        images=images(), return_tensors="pt"
    )
    with torch.inference_mode():
        logits = detector.model(**theirs).logits
    expected = logits.softmax(-1)[:, detector.artificial_index].tolist()
    assert [r.p_artificial for r in detector.predict(images())] == [round(p, 6) for p in expected]


def test_the_model_runs_its_own_layers_never_hub_kernels(tiny_model, monkeypatch):
    """transformers 5.25 loads models "kernelized" unless told not to: on a GPU it swaps layers
    (SwinV2's GELU among them) for kernels it downloads from the Hub while loading, and where
    the ``kernels`` package is missing or broken it loads no model at all (seen on a GPU
    machine: every row said the classifier was unavailable). A score has to come from the
    model's own code, offline and the same every time: the detector loads without them, and
    loads where that package cannot be imported."""
    import torch

    monkeypatch.setattr("transformers.modeling_utils.is_kernels_available", lambda: False)
    detector = load_detector(str(tiny_model), backend="pytorch")
    assert getattr(detector.model, "use_kernels", False) is False
    pixels = torch.from_numpy(detector._pixel_values(images(3)))
    with torch.inference_mode():
        expected = detector.model(pixel_values=pixels).logits.softmax(-1)[:, detector.artificial_index]
    assert [r.p_artificial for r in detector.predict(images(3))] == [round(float(p), 6) for p in expected]


def test_map_in_threads_keeps_order_and_raises_as_a_loop_would(monkeypatch):
    from core.threads import map_in_threads

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert map_in_threads(lambda n: n * n, list(range(50))) == [n * n for n in range(50)]
    with pytest.raises(ZeroDivisionError):
        map_in_threads(lambda n: 1 / (n - 7), list(range(20)))


def test_result_records_model_revision_and_device(tiny_model):
    result = load_detector(str(tiny_model)).predict(images(1))[0]
    assert result.model == str(tiny_model)
    assert result.revision == "local-sha256:" + fingerprint(tiny_model)[:16]
    assert (result.device, result.dtype) == ("cpu", "float32")
    assert 0.0 <= result.p_artificial <= 1.0
    assert result.label == ("artificial" if result.p_artificial >= 0.5 else "real")


def test_labels_are_mapped_by_name_not_index(tiny_model, tiny_model_swapped):
    normal = load_detector(str(tiny_model)).predict(images())
    swapped = load_detector(str(tiny_model_swapped)).predict(images())
    # Same weights, names in the other order: p_artificial must be the other softmax entry.
    for a, b in zip(normal, swapped, strict=True):
        assert a.p_artificial + b.p_artificial == pytest.approx(1.0, abs=2e-6)
        assert a.label != b.label or a.p_artificial == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "artificial", 1: "real"}, (0, 1)),
        ({0: "Real", 1: "FAKE"}, (1, 0)),
        ({"0": "human", "1": "AI_generated"}, (1, 0)),
    ],
)
def test_label_names_that_map(id2label, expected):
    assert map_labels(id2label) == expected


@pytest.mark.parametrize(
    "id2label", [{0: "LABEL_0", 1: "LABEL_1"}, {0: "cat", 1: "dog"}, {0: "ai", 1: "fake"}]
)
def test_unmappable_labels_are_refused(id2label):
    with pytest.raises(LabelMappingError, match="Refusing to guess by index"):
        map_labels(id2label)


def test_model_with_unmappable_labels_is_refused_at_load(tmp_path):
    folder = save_tiny_model(tmp_path / "catdog", {0: "cat", 1: "dog"})
    with pytest.raises(ClassifierUnavailable, match="'cat'"):
        load_detector(str(folder))


def test_offline_hub_model_gives_an_actionable_reason_and_the_rest_runs():
    ctx = make_context(Settings(model="Modotte/AIRealNet"))
    assert ctx.detector is None
    assert "not on this machine" in ctx.classifier_error
    assert "--model DIR" in ctx.classifier_error and "--no-classifier" in ctx.classifier_error
    data = encode(photo(), "JPEG")
    (result,) = analyze_batch([Source.from_bytes("a.jpg", data)], ctx)
    assert result.status == "ok"
    assert result.classifier is None
    assert result.classifier_error == ctx.classifier_error
    assert result.file.format == "jpeg" and result.metadata is not None


def test_former_repository_name_maps_to_the_current_one():
    assert canonical_id("XenArcAI/AIRealNet") == "Modotte/AIRealNet"
    assert canonical_id("xenarcai/airealnet") == "Modotte/AIRealNet"
    assert canonical_id("someone/other") == "someone/other"
    with pytest.raises(ClassifierUnavailable, match="'Modotte/AIRealNet'"):
        load_detector("XenArcAI/AIRealNet")


def test_hub_snapshot_revision_is_the_resolved_commit(tmp_path, monkeypatch, tiny_model):
    """A Hub cache laid out as huggingface_hub lays it out loads offline and records the commit."""
    import shutil

    commit = "0123456789abcdef0123456789abcdef01234567"
    cache = tmp_path / "hub"
    repo = cache / "models--Modotte--AIRealNet"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(tiny_model, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    detector = load_detector("XenArcAI/AIRealNet")
    result = detector.predict(images(1))[0]
    assert (result.model, result.revision) == ("Modotte/AIRealNet", commit)


def test_missing_or_broken_local_folders(tmp_path):
    with pytest.raises(ClassifierUnavailable, match="does not exist"):
        load_detector(str(tmp_path / "nope"))
    with pytest.raises(ClassifierUnavailable, match="no config.json"):
        load_detector(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "swinv2"}))
    with pytest.raises(ClassifierUnavailable, match="could not be loaded"):
        load_detector(str(tmp_path))


def test_detector_is_loaded_once_per_process(tiny_model):
    first = get_detector(str(tiny_model))
    assert get_detector(str(tiny_model)) is first


def test_unavailable_device_is_a_reason_not_a_crash(tiny_model):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ClassifierUnavailable, match="no CUDA GPU"):
        load_detector(str(tiny_model), device="cuda")


def test_fast_path_agrees_with_pytorch_and_is_recorded(tiny_model):
    from core.detector import openvino_backend

    if not openvino_backend.available():
        pytest.skip("openvino is not installed")
    varied = images(6) + [photo((640, 480), seed=50).convert("L").convert("RGB"), photo((200, 800), seed=51)]
    fast = load_detector(str(tiny_model), backend="openvino")
    plain = load_detector(str(tiny_model), backend="pytorch")
    assert (fast.backend, plain.backend) == ("openvino", "pytorch")
    assert fast.model is None  # the exported copy replaced the PyTorch weights
    a, b = fast.predict(varied), plain.predict(varied)
    assert max(abs(x.p_artificial - y.p_artificial) for x, y in zip(a, b, strict=True)) <= 0.01
    assert a[0].backend == "openvino" and {x.dtype for x in a} <= {"float32", "bfloat16"}
    assert fast.precision.startswith(a[0].dtype) or "float32 where" in fast.precision
    assert b[0].backend == "pytorch" and b[0].dtype == "float32"
    again = load_detector(str(tiny_model), backend="openvino")  # loaded from the on-disk cache
    assert [r.p_artificial for r in again.predict(varied)] == [r.p_artificial for r in a]


def test_a_bfloat16_score_is_kept_only_where_its_error_cannot_move_it_past_the_bound():
    from core.detector.openvino_backend import within_bound

    # p = 0.5: a logit error of 0.01 moves it by sigmoid(0.02) - 0.5 = 0.005; 0.05 by 0.025.
    assert within_bound(np.array([0.0, 0.0]), 0.01)
    assert not within_bound(np.array([0.0, 0.0]), 0.05)
    # A clearly low score (p = 6e-6) barely moves even under a 0.5 error; p = 0.1 moves by 0.09.
    assert within_bound(np.array([-12.0, 0.0]), 0.5)
    assert not within_bound(np.array([-2.2, 0.0]), 0.5)
    # Saturated in float64 (p exactly 0 and 1): nothing can move it; three labels work alike.
    assert within_bound(np.array([900.0, 0.0]), 0.9)
    assert within_bound(np.array([-30.0, 0.0, -30.0]), 0.3)
    assert not within_bound(np.array([0.0, 0.0, 0.0]), 0.3)


def test_the_fast_path_recomputes_in_float32_only_the_scores_near_a_decision(monkeypatch):
    """bfloat16 logits within the bound are kept; the others are computed again in float32,
    whose copy is compiled on first need, once; each score says which precision it has."""
    from core.detector import openvino_backend

    # Each row's first value picks its logits: a clearly low, a middle and a high score.
    fast_logits = {0: [-12.0, 0.0], 1: [0.3, 0.0], 2: [1.875, 0.0]}
    exact_logits = {1: [0.25, 0.0], 2: [1.75, 0.0]}

    def net(table):
        return lambda feed: [np.array([table[int(feed["pixel_values"][0, 0])]], dtype=np.float32)]

    compiled = []

    def compile_exact(exported, precision, logit_error=0.0):
        assert (exported, precision) == ("exported model", "f32")
        compiled.append(precision)
        return openvino_backend.OpenVINOModel(net(exact_logits), "float32")

    monkeypatch.setattr(openvino_backend, "_compile", compile_exact)
    model = openvino_backend.OpenVINOModel(net(fast_logits), "bfloat16", "exported model", logit_error=0.2)
    logits, precisions = model.run(np.array([[0.0], [0.0]]))
    assert (
        precisions == ["bfloat16", "bfloat16"] and compiled == []
    )  # nothing near a decision: no float32 copy
    assert logits.tolist() == [[-12.0, 0.0], [-12.0, 0.0]]
    logits, precisions = model.run(np.array([[0.0], [1.0], [2.0], [1.0]]))
    assert precisions == ["bfloat16", "float32", "float32", "float32"]
    assert logits.tolist() == [[-12.0, 0.0], [0.25, 0.0], [1.75, 0.0], [0.25, 0.0]]
    assert compiled == ["f32"]
    assert "float32 where bfloat16 could move the score by more than 0.01" in model.description
    # Told that an image is near a decision (stability's copies of a float32 score): float32 at once.
    exact_logits[0] = [-12.5, 0.0]
    logits, precisions = model.run(np.array([[0.0], [0.0]]), exact=[True, False])
    assert precisions == ["float32", "bfloat16"] and logits.tolist() == [[-12.5, 0.0], [-12.0, 0.0]]


def test_while_most_scores_need_float32_images_go_to_float32_first(monkeypatch):
    """A score computed twice costs both runs: after eight bfloat16 tries of which most needed
    float32, images go to float32 directly. Their float32 scores still say whether bfloat16
    would have kept them; once as many would have as would not, bfloat16 comes first again."""
    from core.detector import openvino_backend

    # Value 1: an image near 0.5 in both precisions; value 0: a clearly low one.
    table = {0: [-12.0, 0.0], 1: [0.1, 0.0]}
    fast_calls = []

    def fast(feed):
        fast_calls.append(int(feed["pixel_values"][0, 0]))
        return [np.array([table[int(feed["pixel_values"][0, 0])]], dtype=np.float32)]

    exact = openvino_backend.OpenVINOModel(
        lambda feed: [np.array([table[int(feed["pixel_values"][0, 0])]], dtype=np.float32)], "float32"
    )
    monkeypatch.setattr(openvino_backend, "_compile", lambda *a, **k: exact)
    model = openvino_backend.OpenVINOModel(fast, "bfloat16", "exported model", logit_error=0.2)
    # Eight images near 0.5: each tried in bfloat16, then computed in float32.
    assert model.run(np.ones((8, 1)))[1] == ["float32"] * 8 and fast_calls == [1] * 8
    # 8 of 8 needed float32: the next ones go there directly.
    fast_calls.clear()
    assert model.run(np.ones((8, 1)))[1] == ["float32"] * 8 and fast_calls == []
    # Clearly low images: 16 F in the window, so after 16 whose float32 scores bfloat16 would
    # have kept, the rest are tried in bfloat16 first again.
    _, precisions = model.run(np.zeros((24, 1)))
    assert precisions == ["float32"] * 16 + ["bfloat16"] * 8 and fast_calls == [0] * 8
    # Stability's copies of a float32 score skip bfloat16 whatever the routing says.
    fast_calls.clear()
    assert model.run(np.zeros((2, 1)), exact=[True, False])[1] == ["float32", "bfloat16"]
    assert fast_calls == [0]


def test_stability_sends_the_copies_of_a_float32_score_to_float32():
    from core.analyzers import stability as stability_analyzer
    from core.context import Context
    from core.schema import ClassifierResult, ScanResult

    class Recorder:
        def predict(self, images, exact=None):
            self.exact = exact
            return [ClassifierResult("m", "r", 0.7, "artificial") for _ in images]

    rows = []
    for precision in ("float32", "bfloat16"):
        result = ScanResult(path=f"{precision}.jpg", status="ok", tool_version="test")
        result.classifier = ClassifierResult("m", "r", 0.7, "artificial", dtype=precision)
        rows.append((result, photo((64, 48))))
    detector = Recorder()
    stability_analyzer.batch(rows, Context(Settings(stability="always"), detector=detector))
    assert detector.exact == [True, True, True, False, False, False]  # three copies of each
    assert all(result.stability is not None for result, _ in rows)


def test_an_export_checked_under_another_rule_is_checked_again(tiny_model):
    """Exports cached by an earlier version (whose record has no version, or another) are not
    trusted: that version may have refused bfloat16, or accepted it without the bound each
    score is held to. The next load checks them again."""
    from core.detector import openvino_backend

    if not openvino_backend.available():
        pytest.skip("openvino is not installed")
    fast = load_detector(str(tiny_model), backend="openvino")
    shape = openvino_backend.input_shape(fast.processor)
    key = f"{fast.model_id}@{fast.revision}"
    record = openvino_backend._model_path(key, shape).with_name("parity.json")
    kept = json.loads(record.read_text())
    assert set(kept) == {"precision", "delta", "logit_error", "version"}
    assert openvino_backend.load_cached(key, shape) is not None
    record.write_text(json.dumps({"precision": kept["precision"], "delta": kept["delta"]}))
    assert openvino_backend.load_cached(key, shape) is None
    record.write_text(json.dumps({**kept, "version": kept["version"] - 1}))
    assert openvino_backend.load_cached(key, shape) is None
    load_detector(str(tiny_model), backend="openvino")
    assert json.loads(record.read_text()) == kept  # checked again: the same answer


def test_plain_resize_gives_the_processors_pixels_bit_for_bit_on_real_photos(tiny_model):
    """The fast path's preprocessing without transformers (``PlainResize``) against
    transformers' own processor for AIRealNet's preprocessor config, on every camera photo
    of the corpus and on pictures of every mode the decoder hands over."""
    from transformers import AutoImageProcessor

    from core.detector.preprocessing import PlainResize
    from tests.test_corpus_replay import CORPUS

    processor = AutoImageProcessor.from_pretrained(tiny_model, backend="pil")
    plain = PlainResize.of(processor)
    assert plain == PlainResize(256, 256, 2, 1 / 255, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    odd = [photo((33, 900), seed=3).convert(mode) for mode in ("L", "P", "CMYK", "RGBA", "I;16")]
    cameras = sorted(path for path in (CORPUS / "camera").rglob("*") if path.is_file())
    pictures = odd + [Image.open(path) for path in cameras]
    for start in range(0, len(pictures), 16):
        chunk = [picture.convert("RGB") for picture in pictures[start : start + 16]]
        theirs = processor(images=chunk, return_tensors="np")["pixel_values"]
        assert np.array_equal(plain(chunk)["pixel_values"], theirs)
    assert len(pictures) == len(odd) + (88 if CORPUS.is_dir() else 0)


def test_a_processor_that_is_not_a_plain_resize_keeps_transformers(tmp_path):
    """A crop (ConvNeXt's shortest edge and crop_pct), or any step of its own that changes a
    pixel, means no plain equivalent: the model keeps transformers' processor."""
    from transformers import AutoImageProcessor

    from core.detector.preprocessing import PlainResize

    (tmp_path / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "image_processor_type": "ConvNextImageProcessor",
                "size": {"shortest_edge": 224},
                "crop_pct": 0.875,
            }
        )
    )
    assert PlainResize.of(AutoImageProcessor.from_pretrained(tmp_path, backend="pil")) is None

    class Brighter:  # a plain resize's settings, and one grey level more in every pixel
        size, do_resize, do_rescale, rescale_factor, do_normalize = (
            {"height": 8, "width": 8},
            True,
            True,
            1 / 255,
            False,
        )

        def __call__(self, images, return_tensors="np"):
            plain = PlainResize(8, 8, 2, 1 / 255, None, None)
            return {"pixel_values": plain(images)["pixel_values"] + np.float32(1 / 255)}

    assert PlainResize.of(Brighter()) is None


LOAD_AND_SCORE = """
import json, sys
from core.detector import get_detector
from tests.images import photo
detector = get_detector(sys.argv[1])
scores = [r.p_artificial for r in detector.predict([photo((300, 200), seed=s) for s in range(4)])]
print(json.dumps({
    "scores": scores,
    "imported": [m for m in ("torch", "transformers") if m in sys.modules],
    "processor": type(detector.processor).__name__,
    "backend": detector.backend,
}))
"""


def test_a_model_exported_before_loads_without_torch_or_transformers(tiny_model, tmp_path):
    """Importing transformers' processor imports torch and most of transformers: about 5 s of
    every scan's start on two cores. Once a model has been exported, the next process loads it
    with neither, and scores the same pictures the same."""
    import os
    import subprocess
    import sys

    from core.detector import openvino_backend
    from tests.conftest import ROOT

    if not openvino_backend.available():
        pytest.skip("openvino is not installed")

    def load() -> dict:
        run = subprocess.run(
            [sys.executable, "-c", LOAD_AND_SCORE, str(tiny_model)],
            cwd=ROOT,
            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.splitlines()[-1])

    first, second = load(), load()
    assert (first["imported"], first["processor"], first["backend"]) == (
        ["torch", "transformers"],
        "PlainResize",
        "openvino",
    )
    assert (second["imported"], second["processor"], second["backend"]) == ([], "PlainResize", "openvino")
    # The first process compiled the model it had just exported, the others read the export
    # back: float32 kernels may then differ in the last digit kept.
    assert max(abs(a - b) for a, b in zip(first["scores"], second["scores"], strict=True)) <= 2e-6
    assert len(set(first["scores"])) > 1
    # Settings saved by another version are not read: that process takes the full way again.
    (record,) = (tmp_path / "cache" / "image-evidence-desk" / "openvino" / "preprocessing").iterdir()
    record.write_text(json.dumps({**json.loads(record.read_text()), "version": 0}))
    third = load()
    # transformers' processor then gives the same pixels, so the same scores to the last digit.
    assert (third["imported"], third["scores"]) == (["torch", "transformers"], second["scores"])


def tiny_classifier(folder, architecture: str, size: int):
    """A random two-label classifier of ``architecture`` whose own preprocessor asks for
    ``size`` px (SwinV2 and ViT: height and width; ConvNeXt: shortest edge, then a centre
    crop), each a geometry the fast path must export at its own input size."""
    import torch
    from transformers import (
        ConvNextConfig,
        ConvNextForImageClassification,
        Swinv2Config,
        Swinv2ForImageClassification,
        ViTConfig,
        ViTForImageClassification,
    )

    labels = {"id2label": {0: "artificial", 1: "real"}, "label2id": {"artificial": 0, "real": 1}}
    torch.manual_seed(size)
    stats = {"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}
    if architecture == "swinv2":
        model = Swinv2ForImageClassification(
            Swinv2Config(
                image_size=size,
                patch_size=4,
                window_size=7 if size % 7 == 0 else 6,
                embed_dim=8,
                depths=[1, 1, 1, 1],
                num_heads=[1, 1, 1, 2],
                **labels,
            )
        )
        processor = {"image_processor_type": "ViTImageProcessor", "size": {"height": size, "width": size}}
    elif architecture == "vit":
        model = ViTForImageClassification(
            ViTConfig(
                image_size=size,
                patch_size=16,
                hidden_size=16,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=32,
                **labels,
            )
        )
        processor = {"image_processor_type": "ViTImageProcessor", "size": {"height": size, "width": size}}
    else:
        model = ConvNextForImageClassification(
            ConvNextConfig(hidden_sizes=[8, 16, 16, 16], depths=[1, 1, 1, 1], **labels)
        )
        processor = {
            "image_processor_type": "ConvNextImageProcessor",
            "size": {"shortest_edge": size},
            "crop_pct": 0.875,
        }
    with torch.no_grad():  # random heads give scores near 0.5: widen them so images differ
        model.classifier.weight.mul_(8.0)
    model.eval().save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(json.dumps({**processor, **stats}))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["swinv2", "vit", "convnext"])
@pytest.mark.parametrize("size", [192, 224, 384])
def test_fast_path_exports_each_model_at_its_own_input_size(tmp_path, architecture, size):
    """A 192 px SwinV2 failed every image on the fast path (exported at AIRealNet's 256 px)."""
    from core.detector import openvino_backend

    if not openvino_backend.available():
        pytest.skip("openvino is not installed")
    folder = tiny_classifier(tmp_path / f"{architecture}-{size}", architecture, size)
    fast = load_detector(str(folder), backend="openvino")
    plain = load_detector(str(folder), backend="pytorch")
    assert fast.backend == "openvino"
    # A plain resize runs without transformers; ConvNeXt's crop keeps transformers' processor.
    assert (type(fast.processor).__name__ == "PlainResize") == (architecture != "convnext")
    expected = plain.processor(images=[photo((300, 200))], return_tensors="np")["pixel_values"].shape[-2:]
    assert openvino_backend.input_shape(plain.processor) == tuple(expected)
    varied = images(4) + [photo((200, 800), seed=51)]
    a, b = fast.predict(varied), plain.predict(varied)
    assert max(abs(x.p_artificial - y.p_artificial) for x, y in zip(a, b, strict=True)) <= 0.01
    assert len({x.p_artificial for x in b}) > 1  # the scores differ between images: a real check


def test_unknown_backend_is_refused(tiny_model):
    with pytest.raises(ClassifierUnavailable, match="unknown backend"):
        load_detector(str(tiny_model), backend="tensorrt")


def test_draft_decoding_feeds_the_model_nearly_the_same_input(tiny_model):
    """JPEGs are decoded at 1/8 scale for the classifier. What the model receives (256x256,
    normalised) must stay close to what a full decode gives; bench/ measures the scores."""
    import io

    from PIL import Image

    from core.intake import open_intake

    processor = load_detector(str(tiny_model), backend="pytorch").processor
    for seed in range(3):
        data = encode(photo((4000, 3000), seed=seed), "JPEG", quality=90)
        reduced = open_intake(data, "x.jpg", "x.jpg", 10**9).decoded.pixels
        full = Image.open(io.BytesIO(data)).convert("RGB")
        assert reduced.size == (500, 375)
        a, b = (processor(images=[im], return_tensors="np")["pixel_values"] for im in (reduced, full))
        assert float(abs(a - b).mean()) < 0.05  # normalised units (one 8-bit step is about 0.017)


def test_pipelined_scan_gives_the_same_rows_as_one_by_one(tmp_path, tiny_model):
    from core.context import make_context
    from core.pipeline import analyze
    from core.scan import scan
    from core.settings import Settings
    from core.sources import list_sources

    for i in range(11):
        (tmp_path / f"{i:02}.jpg").write_bytes(encode(photo((300, 200), seed=i), "JPEG"))
    (tmp_path / "bad.png").write_bytes(b"nope")
    ctx = make_context(Settings(model=str(tiny_model), batch_size=3, forensics=False))
    sources = list_sources([tmp_path], ctx.settings.max_file_bytes)
    piped = [r.to_dict() for r in scan(sources, ctx, workers=3)]
    single = [analyze(source, ctx).to_dict() for source in sources]
    assert piped == single


def test_auto_stability_runs_where_the_score_decides_and_says_why_elsewhere(tmp_path, tiny_model_swapped):
    """The swapped-label model scores these photos from about 0.06 to 0.47: both sides of the rule."""
    tiny_model = tiny_model_swapped
    from core.context import make_context
    from core.pipeline import analyze_batch
    from core.settings import Settings
    from core.sources import Source
    from tests.images import xmp_packet

    ai = "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
    plain = [Source.from_bytes(f"{i}.jpg", encode(photo((300, 200), seed=i), "JPEG")) for i in range(6)]
    declared = Source.from_bytes(
        "declared.jpg", encode(photo((300, 200), seed=9), "JPEG", xmp=xmp_packet(ai))
    )
    auto = make_context(Settings(model=str(tiny_model), forensics=False))
    assert auto.settings.stability == "auto"
    rows = analyze_batch([*plain, declared], auto)
    scores = [r.classifier.p_artificial for r in rows[:-1]]
    assert min(scores) < 0.25 <= max(scores)  # both branches are exercised
    for r in rows:
        low = r.classifier.p_artificial < 0.25
        inconclusive = 0.40 < r.classifier.p_artificial < 0.60
        if r.path == "declared.jpg":
            assert r.stability is None
            assert (
                r.stability_skipped
                == "not computed: the verdict rests on declared evidence, not on the score"
            )
        elif low:
            assert (r.stability, r.stability_skipped) == (
                None,
                "not computed: the score is clearly low (below 0.25)",
            )
            assert any(f.rule == "stability.skipped" for f in r.findings)
        elif inconclusive:
            assert (r.stability, r.stability_skipped) == (
                None,
                "not computed: the verdict is inconclusive whatever re-compression does to the score",
            )
            assert r.verdict.band == "inconclusive"
        else:
            assert r.stability is not None and r.stability_skipped is None
    always = make_context(Settings(model=str(tiny_model), forensics=False, stability="always"))
    assert all(r.stability is not None for r in analyze_batch([*plain, declared], always))


def test_several_detectors_side_by_side_disagreement_is_stated_not_averaged(
    tiny_model, tiny_model_swapped, tmp_path
):
    """The swapped model has the same weights with its label names in the other order: its
    'artificial' probability is the primary's 'real' one, so the two disagree on every image."""
    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source

    missing = tmp_path / "no-such-model"
    ctx = make_context(
        Settings(
            model=str(tiny_model),
            detectors=f"{tiny_model_swapped}, {missing}",
            stability="never",
            forensics=False,
        )
    )
    assert [d.model_id for d in ctx.extra_detectors] == [str(tiny_model_swapped)]
    assert len(ctx.extra_errors) == 1 and ctx.extra_errors[0].startswith(f"{missing}: ")
    result = analyze(Source.from_bytes("a.jpg", encode(photo(seed=3), "JPEG")), ctx)
    primary, other = result.classifiers
    assert primary == result.classifier and other.model == str(tiny_model_swapped)
    assert abs(primary.p_artificial + other.p_artificial - 1) < 1e-4
    assert (
        result.verdict.band == "inconclusive"
        and "the classifiers disagree: 1 of 2 classifiers" in result.verdict.sentence
    )
    agreement = next(f for f in result.findings if f.rule == "classifier.agreement")
    assert agreement.data["agree"] is False and f"{other.p_artificial:.2f}" in agreement.sentence
    assert "average" not in result.verdict.sentence and "mean" not in result.verdict.sentence
    assert [n.code for n in result.notices].count("detector_unavailable") == 1
    # The same model twice is one classifier: `detectors` never repeats `model`.
    alone = make_context(Settings(model=str(tiny_model), detectors=str(tiny_model), forensics=False))
    assert alone.extra_detectors == []


@pytest.mark.parametrize(
    ("config_file", "field"),
    [
        ("config.json", "auto_map"),
        ("preprocessor_config.json", "auto_map"),
        ("config.json", "custom_pipelines"),
    ],
)
def test_a_model_that_asks_to_run_its_own_code_is_refused_before_transformers_reads_it(
    tiny_model, tmp_path, monkeypatch, config_file, field
):
    """A model folder with ``auto_map`` and a ``modeling_*.py`` made transformers ask "Do you wish
    to run the custom code? [y/N]" on standard output (corrupting JSONL there) and wait for an
    answer. It is refused with the field named, as the primary model and as an extra detector;
    the folder's Python never runs and standard input is never read."""
    import io
    import shutil

    from tests.conftest import run_cli
    from tests.images import encode, photo

    evil = tmp_path / "evil-model"
    shutil.copytree(tiny_model, evil)
    marker = tmp_path / "ran"
    (evil / "modeling_evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    config = json.loads((evil / config_file).read_text())
    config[field] = {"AutoModelForImageClassification": "modeling_evil.EvilModel"}
    (evil / config_file).write_text(json.dumps(config))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(encode(photo(), "JPEG"))

    class NoInput(io.StringIO):
        def read(self, *args):
            raise AssertionError("standard input was read")

        readline = read

    monkeypatch.setattr("sys.stdin", NoInput())
    for args, env in (
        (("--model", str(evil)), {}),
        (("--model", str(tiny_model)), {"FORENSICS_DETECTORS": str(evil)}),  # an extra classifier
    ):
        proc = run_cli("scan", str(folder), *args, env=env)
        assert proc.returncode == 0, proc.stderr
        (row,) = [json.loads(line) for line in proc.stdout.splitlines()]  # nothing else on stdout
        said = json.dumps(row, ensure_ascii=False) + proc.stderr
        assert f"asks to run code of its own ({config_file}: {field})" in said, (args, env)
    assert not marker.exists()


def test_a_model_config_that_is_a_fifo_or_huge_is_refused_not_waited_on(tiny_model, tmp_path):
    """A config.json that is a named pipe would hang transformers reading it; one of gigabytes
    would be read whole. Both are refused, naming the file, before transformers sees the folder."""
    import os
    import shutil

    from core.detector.loader import refuse_unsafe_config
    from core.errors import ClassifierUnavailable

    piped = tmp_path / "piped"
    shutil.copytree(tiny_model, piped)
    (piped / "config.json").unlink()
    os.mkfifo(piped / "config.json")
    with pytest.raises(
        ClassifierUnavailable, match="has a config.json that cannot be used: not read: a named pipe"
    ):
        refuse_unsafe_config(piped, "piped")
    huge = tmp_path / "huge"
    shutil.copytree(tiny_model, huge)
    with open(huge / "preprocessor_config.json", "r+b") as fh:
        fh.truncate(64 * 1024**2)
    with pytest.raises(
        ClassifierUnavailable, match="has a preprocessor_config.json that cannot be used: .*limit"
    ):
        refuse_unsafe_config(huge, "huge")


@pytest.mark.parametrize(
    ("config_file", "edit", "field"),
    [
        ("preprocessor_config.json", {"size": {"height": 100_000, "width": 100_000}}, "size.height=100000"),
        ("config.json", {"image_size": 65_536}, "image_size=65536"),
    ],
)
def test_a_model_asking_for_giant_inputs_is_refused_before_any_image(
    tiny_model, tmp_path, config_file, edit, field
):
    """A model folder whose configuration asks for 100,000-pixel inputs would make every image
    tens of gigabytes inside the classifier (in the server's own process): refused by name."""
    import shutil

    from core.detector.loader import refuse_unsafe_config
    from core.errors import ClassifierUnavailable

    giant = tmp_path / "giant"
    shutil.copytree(tiny_model, giant)
    config = json.loads((giant / config_file).read_text())
    config.update(edit)
    (giant / config_file).write_text(json.dumps(config))
    with pytest.raises(
        ClassifierUnavailable,
        match=rf"asks for inputs larger than any image classifier's \({config_file}: {field}\)",
    ):
        refuse_unsafe_config(giant, "giant")
    refuse_unsafe_config(tiny_model, "tiny")  # the real geometry passes
