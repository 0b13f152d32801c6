"""The declarations analyzer: what the file's metadata says about how it was made, beside
its Content Credentials: IPTC digital source types (in XMP and in C2PA actions) and the
signatures that generators write about themselves (one parser per tool in
``core.provenance.generators``)."""

from __future__ import annotations

from core.context import Context
from core.escaping import quote
from core.intake import Intake
from core.provenance import analyze_provenance
from core.provenance.generators.common import declared
from core.schema import Finding, ScanResult

from .base import Analyzer, AnalyzerResult


def analyze(intake: Intake, ctx: Context, found: ScanResult) -> AnalyzerResult:
    # Hidden alpha-channel payloads are read from the decoded file (the working copy has no alpha);
    # a metadata-only scan decodes nothing, and its notice says this check was skipped.
    def decoded_file():
        return intake.decoded.image if intake.pixels is not None else None

    provenance, notices = analyze_provenance(found.provenance.c2pa, found.metadata, decoded_file)
    mark = found.provenance.watermark.found if found.provenance.watermark else None
    if mark:  # a generator's own mark in the pixels declares generation as its metadata would
        provenance.generators.append(
            declared(mark.tool, f"{mark.name} (invisible watermark)", "pixels:watermark", "generation")
        )
        provenance.ai_declared = True
        if provenance.generator.confidence != "declared":
            provenance.generator = provenance.generators[-1]
    return AnalyzerResult(provenance, notices)


def findings(result: ScanResult) -> list[Finding]:
    findings: list[Finding] = []
    prov = result.provenance
    signed = prov.c2pa.state is not None and prov.c2pa.state.validates
    for st in prov.source_types:
        strength = "cryptographic check" if st.where == "c2pa" and signed else "declared"
        where = "Content Credentials" if st.where == "c2pa" else "XMP metadata"
        rule, direction, meaning = {
            "ai_generated": ("ai_generated", "synthesis", "AI generation"),
            "ai_edited": ("ai_edited", "editing", "a composite that includes AI-generated elements"),
            "capture": ("capture", "capture", "a camera capture"),
            "edited_capture": ("edited_capture", "editing", "an edited capture"),
        }.get(st.category, ("other", "neutral", f"the source type {quote(st.code)}"))
        findings.append(
            Finding(
                f"{st.where}.source_type.{rule}",
                direction,
                strength,
                f"{where} declare {meaning} (IPTC digital source type {quote(st.code)}).",
                {"code": st.code, "uri": st.uri},
            )
        )

    for g in prov.generators:
        if g.where in ("c2pa", "pixels:watermark"):
            continue  # stated by the C2PA source type finding, or the watermark's own
        if g.confidence == "declared":
            did = "generated" if g.declares == "generation" else "edited"
            findings.append(
                Finding(
                    f"generator.{g.tool}",
                    "synthesis" if g.declares == "generation" else "editing",
                    "declared",
                    f"The file's metadata ({g.where}) says it was {did} with {quote(g.name)}.",
                    {"tool": g.tool, "model": g.model, "seed": g.seed, "error": g.error},
                )
            )
        else:
            findings.append(
                Finding(
                    "generator.possible",
                    "synthesis",
                    "context",
                    f"A software field ({g.where}) reads {quote(g.name)}, which looks like an AI tool; "
                    "it is not a recognised generator signature.",
                    {"value": g.name},
                )
            )

    return findings


ANALYZER = Analyzer(
    id="declarations",
    version="1.1",
    needs="bytes",
    output="provenance",
    reads=("metadata", "c2pa", "watermark"),
    fields=(
        "analyzed",
        "ai_declared",
        "ai_edit_declared",
        "capture_declared",
        "generator",
        "generators",
        "source_types",
    ),
    description="IPTC digital source types and generator signatures (A1111, ComfyUI, InvokeAI, NovelAI, "
    "Midjourney, ...), joined with the Content Credentials",
    analyze=analyze,
    findings=findings,
    rules=("c2pa.source_type.*", "xmp.source_type.*", "generator.<tool>", "generator.possible"),
)
