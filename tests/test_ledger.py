"""The ledger and the verdict: order of trust, bands at the named thresholds, honest wording."""

from __future__ import annotations

import re

import pytest

from core import ledger, thresholds
from core.schema import C2PAState, ClassifierResult, Generator, Provenance, ScanResult, SourceType
from core.stability import VARIANTS, summarise
from core.vocabulary import Band


def result(
    p: float | None = None, *, c2pa: C2PAState | None = None, sources=(), generator=None, stability=None
):
    r = ScanResult(path="x.jpg", status="ok")
    r.provenance = Provenance(
        analyzed=True, c2pa=c2pa or C2PAState(present=False), source_types=list(sources)
    )
    if generator is not None:
        r.provenance.generators = [generator]
        r.provenance.generator = generator
        r.provenance.ai_declared = generator.declares == "generation"
    if any(st.category == "ai_generated" for st in sources):
        r.provenance.ai_declared = True
    if p is not None:
        r.classifier = ClassifierResult(
            model="m", revision="r", p_artificial=p, label="artificial" if p >= 0.5 else "real"
        )
    r.stability = stability
    ledger.build_ledger(r)
    return r


@pytest.mark.parametrize(
    ("p", "band"),
    [
        (0.95, "strong statistical indication of AI generation"),
        (thresholds.STRONG_SIGNAL, "strong statistical indication of AI generation"),
        (0.80, "moderate statistical indication of AI generation"),
        (0.65, "weak statistical indication of AI generation"),
        (0.50, "inconclusive"),
        (thresholds.LOW_SIGNAL, "little evidence of AI generation"),
        (0.05, "little evidence of AI generation"),
    ],
)
def test_classifier_alone_gives_bands_at_named_thresholds(p, band):
    r = result(p)
    assert r.verdict.band == band
    assert r.verdict.basis == "statistical"
    assert ledger.CAVEAT_CLASSIFIER in r.verdict.caveats
    assert ledger.CAVEAT_NO_CREDENTIALS in r.verdict.caveats


def test_unstable_score_is_inconclusive_whatever_the_clean_score():
    unstable = summarise(0.97, [0.90, 0.41, 0.93])
    assert (unstable.flips, unstable.unstable, unstable.min, unstable.max) == (True, True, 0.41, 0.97)
    r = result(0.97, stability=unstable)
    assert r.verdict.band == "inconclusive"
    assert any(f.rule == "stability.unstable" for f in r.findings)


def test_stability_summary_names_every_variant():
    s = summarise(0.2, [0.1, 0.3, 0.25])
    assert list(s.variants) == ["jpeg_q50", "half_size", "webp_q80"] == [name for name, _ in VARIANTS]
    assert (s.min, s.median, s.max, s.unstable) == (0.1, 0.225, 0.3, False)


def test_declaration_outranks_the_classifier():
    sources = [SourceType(code="trainedAlgorithmicMedia", category="ai_generated", where="xmp")]
    r = result(0.02, sources=sources)
    assert r.verdict.band == "substantial evidence of AI generation"
    assert r.verdict.basis == "declared"
    assert ledger.CAVEAT_METADATA in r.verdict.caveats
    strengths = [f.strength for f in r.findings]
    assert strengths == sorted(strengths, key=lambda s: s.rank)
    assert r.findings[0].rule == "xmp.source_type.ai_generated"


def test_verified_declaration_outranks_metadata_and_names_the_tool():
    c2pa = C2PAState(present=True, state="trusted", signer="Adobe Content Credentials")
    sources = [SourceType(code="trainedAlgorithmicMedia", category="ai_generated", where="c2pa")]
    gen = Generator(
        tool="adobe-firefly", name="Adobe Firefly", confidence="declared", declares="generation", where="c2pa"
    )
    r = result(0.1, c2pa=c2pa, sources=sources, generator=gen)
    assert r.verdict.band == "strong evidence of AI generation"
    assert (
        r.verdict.sentence
        == "Strong evidence of AI generation: declared by a valid C2PA manifest from “Adobe Firefly”."
    )
    assert r.findings[0].strength == "cryptographic check"


def test_no_evidence_at_all_is_no_conclusion():
    r = result()
    assert r.verdict.band == "no conclusion"
    assert ledger.CAVEAT_NOTHING in r.verdict.caveats


def test_untrusted_strings_are_quoted_and_cut_in_sentences():
    gen = Generator(
        tool="x", name="<script>alert(1)</script>" * 10, confidence="possible", where="exif:Software"
    )
    r = result(generator=gen)
    sentence = next(f.sentence for f in r.findings if f.rule == "generator.possible")
    assert "“<script>alert(1)</script><script>alert(1)</script>" in sentence and "…”" in sentence


@pytest.mark.parametrize("p", [0.01, 0.45, 0.55, 0.99, None])
def test_wording_never_states_fake_or_real_as_fact(p):
    r = result(p)
    text = " ".join([r.verdict.sentence, *r.verdict.caveats, *(f.sentence for f in r.findings)]).lower()
    assert not re.search(r"\bfake\b", text)
    assert not re.search(r"\b(is|looks|appears) (real|authentic|genuine)\b", text)
    assert r.verdict.band in list(Band)


def test_hostile_or_damaged_metadata_becomes_a_finding():
    from core.context import make_context
    from core.pipeline import analyze
    from core.settings import Settings
    from core.sources import Source
    from tests.images import encode, photo

    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>'
    r = analyze(
        Source.from_bytes("f.jpg", encode(photo(), "JPEG", xmp=laughs)),
        make_context(Settings(classifier=False)),
    )
    finding = next(f for f in r.findings if f.rule == "metadata.xmp_unsafe")
    assert finding.strength == "context"
    assert "known attack pattern" in finding.sentence


def test_stability_is_needed_only_where_the_score_decides():
    from core.analyzers.stability import STABILITY_MIN_SCORE, stability_needed

    assert stability_needed(result(0.8)) is None
    assert stability_needed(result(STABILITY_MIN_SCORE)) is None
    assert stability_needed(result(0.1)) == "not computed: the score is clearly low (below 0.25)"
    assert stability_needed(result(0.40)) is None  # "little evidence": a flip would make it inconclusive
    inconclusive = "not computed: the verdict is inconclusive whatever re-compression does to the score"
    assert stability_needed(result(0.45)) == stability_needed(result(0.59)) == inconclusive
    assert stability_needed(result(0.60)) is None
    declared = result(0.8, sources=[SourceType("trainedAlgorithmicMedia", "ai_generated", "xmp")])
    assert (
        stability_needed(declared) == "not computed: the verdict rests on declared evidence, not on the score"
    )
