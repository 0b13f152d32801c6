"""The analyzer registry's contract, for every registered analyzer: it fails alone, it skips
with a reason, it is documented; and every result lists every analyzer with its status."""

from __future__ import annotations

import dataclasses
import re

import pytest
from PIL.PngImagePlugin import PngInfo

from core import analyzers
from core.analyzers import ANALYZERS, BATCHED, REGISTRY
from core.context import make_context
from core.pipeline import analyze, complete, prepare
from core.schema import ScanResult
from core.settings import Settings
from core.sources import Source
from tests.conftest import ROOT
from tests.images import encode, exif_with_thumbnail, photo

ANALYZERS_PAGE = (ROOT / "docs" / "analyzers.md").read_text(encoding="utf-8")
SCHEMA_PAGE = (ROOT / "docs" / "result-schema.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample() -> bytes:
    """A JPEG on which every per-file analyzer has something to do: EXIF (a camera make) with
    an embedded thumbnail of the same picture."""
    picture = photo((640, 480), seed=5)
    thumb = picture.resize((160, 120))
    return encode(picture, "JPEG", exif=exif_with_thumbnail(encode(thumb, "JPEG")))


def statuses(result: ScanResult) -> dict[str, str]:
    return {run.id: run.status for run in result.analyzers}


def test_every_analyzer_runs_on_a_camera_jpeg_and_every_result_lists_them_all(sample):
    ctx = make_context(Settings(classifier=False))
    result = analyze(Source.from_bytes("cam.jpg", sample), ctx)
    assert [run.id for run in result.analyzers] == [a.id for a in REGISTRY]
    assert statuses(result) == {
        **{a.id: "ok" for a in ANALYZERS},
        "classifier": "skipped",
        "stability": "skipped",
    }
    by_id = {run.id: run for run in result.analyzers}
    assert by_id["classifier"].reason == ctx.classifier_error
    assert all(run.version for run in result.analyzers)
    assert "c2pa-python" in by_id["c2pa"].version


@pytest.mark.parametrize("analyzer", ANALYZERS, ids=lambda a: a.id)
def test_an_analyzer_that_raises_fails_alone(analyzer, sample, monkeypatch):
    ctx = make_context(Settings(classifier=False))
    clean, _ = prepare(Source.from_bytes("cam.jpg", sample), ctx)

    def boom(intake, ctx, found):
        raise ValueError("injected failure")

    broken = tuple(dataclasses.replace(a, analyze=boom) if a is analyzer else a for a in ANALYZERS)
    monkeypatch.setattr(analyzers, "ANALYZERS", broken)
    result, pixels = prepare(Source.from_bytes("cam.jpg", sample), ctx)
    (result,) = complete([(result, pixels)], ctx)
    assert result.status == "ok" and result.verdict is not None
    run = next(r for r in result.analyzers if r.id == analyzer.id)
    assert (run.status, run.code) == ("failed", "internal_error")
    assert run.message.startswith("ValueError in test_analyzers.py:") and run.message.endswith(
        "injected failure"
    )
    assert f"{analyzer.id}: ValueError" in " ".join(
        n.message for n in result.notices if n.code == "analyzer_failed"
    )
    others = {k: v for k, v in statuses(result).items() if k != analyzer.id and k in statuses(clean)}
    # Every other analyzer still ran; only those that read the failed one's output may skip.
    assert all(v != "failed" for v in others.values()), others
    assert sum(v == "ok" for v in others.values()) >= len(ANALYZERS) - 2


@pytest.mark.parametrize("analyzer", ANALYZERS, ids=lambda a: a.id)
def test_an_unavailable_analyzer_is_skipped_with_its_reason(analyzer, sample, monkeypatch):
    patched = tuple(
        dataclasses.replace(a, available=lambda: "the library is not installed here") if a is analyzer else a
        for a in ANALYZERS
    )
    monkeypatch.setattr(analyzers, "ANALYZERS", patched)
    result, _ = prepare(Source.from_bytes("cam.jpg", sample), make_context(Settings(classifier=False)))
    run = next(r for r in result.analyzers if r.id == analyzer.id)
    assert (run.status, run.reason) == ("skipped", "the library is not installed here")
    assert result.status == "ok"


def test_analyzers_say_why_they_skipped():
    ctx = make_context(Settings(classifier=False))
    text = analyze(Source.from_bytes("notes.jpg", b"just some text, not a picture\n" * 4), ctx)
    assert text.error.code == "not_an_image"
    assert {r.reason for r in text.analyzers if r.id in {a.id for a in ANALYZERS}} == {analyzers.NOT_AN_IMAGE}
    png = analyze(Source.from_bytes("a.png", encode(photo(), "PNG")), ctx)
    by_id = {r.id: r for r in png.analyzers}
    assert (by_id["jpeg"].status, by_id["jpeg"].reason) == ("skipped", "not a JPEG file")
    assert by_id["thumbnail"].reason == "the file has no EXIF thumbnail"
    off = analyze(
        Source.from_bytes("a.png", encode(photo(), "PNG")),
        make_context(Settings(classifier=False, forensics=False)),
    )
    assert {r.id: r.reason for r in off.analyzers if r.status == "skipped"} == {
        **{a.id: "switched off (setting forensics=false)" for a in ANALYZERS if a.switch == "forensics"},
        "classifier": ctx.classifier_error,
        "stability": "no classifier score",
    }
    meta = analyze(Source.from_bytes("a.png", encode(photo(), "PNG")), make_context(Settings(pixels=False)))
    assert {r.id: r.reason for r in meta.analyzers if r.status == "skipped"}["ela"] == analyzers.PIXELS_OFF
    truncated = analyze(Source.from_bytes("t.png", encode(photo(), "PNG")[:300]), ctx)
    assert {r.id: r.status for r in truncated.analyzers}[
        "metadata"
    ] == "ok"  # damaged pixels, metadata still read
    assert {r.id: r.reason for r in truncated.analyzers}["ela"] == analyzers.NO_PIXELS


def test_batched_stages_report_their_status(tiny_model, sample):
    ctx = make_context(Settings(model=str(tiny_model), stability="always", forensics=False))
    result = analyze(Source.from_bytes("cam.jpg", sample), ctx)
    assert statuses(result)["classifier"] == statuses(result)["stability"] == "ok"
    never = make_context(Settings(model=str(tiny_model), stability="never", forensics=False))
    run = {r.id: r for r in analyze(Source.from_bytes("cam.jpg", sample), never).analyzers}["stability"]
    assert (run.status, run.reason) == ("skipped", "switched off (setting stability=never)")

    class Failing:
        def predict(self, images):
            raise RuntimeError("out of memory")

    broken = dataclasses.replace(ctx, detector=Failing())
    run = {r.id: r for r in analyze(Source.from_bytes("cam.jpg", sample), broken).analyzers}["classifier"]
    assert (run.status, run.code) == ("failed", "classifier_failed")
    assert "RuntimeError: out of memory" in run.message


@pytest.mark.parametrize("analyzer", REGISTRY, ids=lambda a: a.id)
def test_every_analyzer_and_its_rules_are_documented(analyzer):
    assert re.search(rf"^\| `{re.escape(analyzer.id)}` \|", ANALYZERS_PAGE, flags=re.M), analyzer.id
    ledger_rules = SCHEMA_PAGE.split("## Ledger rules", 1)[1].split("\n## ", 1)[0]
    for rule in analyzer.rules:
        assert f"`{rule}`" in ledger_rules, rule
    assert analyzer.description and analyzer.version


def test_every_rule_a_finding_uses_is_declared_by_its_analyzer(sample, tiny_model):
    """Rule ids are stable: each finding's rule matches one the registry declares."""
    declared = [r for a in REGISTRY for r in a.rules]
    patterns = [
        re.compile(
            re.escape(r)
            .replace(r"\*", ".+")
            .replace(r"<tool>", ".+")
            .replace(r"<damage\ notice>", ".+")
            .replace(r"<damage notice>", ".+")
        )
        for r in declared
    ]
    ctx = make_context(Settings(model=str(tiny_model), stability="always"))
    info = PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Seed: 7, Model: sdxl")
    files = [
        ("cam.jpg", sample),
        ("gen.png", encode(photo(), "PNG", pnginfo=info)),
        ("odd.jpg", sample + b"PK\x03\x04zip"),
    ]
    for name, data in files:
        for finding in analyze(Source.from_bytes(name, data), ctx).findings:
            assert any(p.fullmatch(finding.rule) for p in patterns), finding.rule


def test_batched_stages_are_the_last_of_the_registry():
    assert REGISTRY[-len(BATCHED) :] == BATCHED and all(
        a.batch is not None and a.analyze is None for a in BATCHED
    )
    assert all(a.analyze is not None and a.batch is None for a in ANALYZERS)


def test_the_registry_refuses_an_analyzer_that_reads_too_early_or_writes_anothers_place():
    import dataclasses

    from core.analyzers import check_registry

    c2pa, metadata = REGISTRY[1], REGISTRY[0]
    with pytest.raises(RuntimeError, match="analyzer c2pa reads metadata, which must run before it"):
        check_registry((c2pa, metadata))
    intruder = dataclasses.replace(metadata, id="intruder", output="provenance")
    with pytest.raises(RuntimeError, match="analyzer intruder writes provenance, where provenance.c2pa"):
        check_registry((metadata, c2pa, intruder))
    untyped = dataclasses.replace(metadata, id="untyped", output="forensics.sharpness")
    with pytest.raises(RuntimeError, match="writes forensics.sharpness, which is not a field of ScanResult"):
        check_registry((metadata, untyped))


def test_the_example_in_the_analyzers_page_is_the_real_module():
    """docs/analyzers.md shows core/analyzers/trailing_data.py whole: the example cannot drift."""
    source = (ROOT / "core" / "analyzers" / "trailing_data.py").read_text(encoding="utf-8")
    assert source[source.index("from __future__") :] in ANALYZERS_PAGE


def test_every_analyzer_declares_the_stored_data_it_reads():
    """What ``analyze`` reads from the result being built (``found.x.y``) belongs to analyzers
    named in its ``reads``, so the registry's order check sees every dependency."""
    import ast
    import inspect

    for analyzer in ANALYZERS:
        tree = ast.parse(inspect.getsource(inspect.getmodule(analyzer.analyze)))
        read = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain, inner = [node.attr], node.value
                while isinstance(inner, ast.Attribute):
                    chain.insert(0, inner.attr)
                    inner = inner.value
                if isinstance(inner, ast.Name) and inner.id == "found":
                    read.add(".".join(chain))
        read = {place for place in read if not any(other.startswith(place + ".") for other in read)}
        owners = {
            other.id
            for place in read
            for other in REGISTRY
            for written in other.places()
            if other is not analyzer
            and (place == written or place.startswith(written + ".") or written.startswith(place + "."))
        }
        assert owners <= set(analyzer.reads), (analyzer.id, sorted(read))
