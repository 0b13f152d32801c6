"""Provenance: what the file declares about how it was made.

Three kinds of declaration, strongest first: C2PA Content Credentials (signed), the
IPTC digital source type in XMP, and the metadata that generators write about
themselves. ``analyze_provenance`` joins them into one ``Provenance``; the ledger
(``core.ledger``) decides how much each is worth.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PIL import Image

from core.schema import C2PAState, Generator, Metadata, Notice, Provenance

from .generators import GeneratorSource, detect_generators
from .generators.common import declared, known_tool, slug
from .source_type import parse_source_type, xmp_source_types


def _c2pa_tool(*names: str | None) -> tuple[str | None, str | None]:
    for name in names:
        tool = known_tool(name)
        if tool:
            return tool, name
    first = next((n for n in names if n), None)
    if not first:
        return None, None
    # "Some Generator 1.0" -> "some-generator": the tool, not its version.
    return slug(re.sub(r"[\s/]+v?\d[\w.\-]*$", "", first)), first


def _c2pa_generator(prov: Provenance) -> Generator | None:
    """The tool (and model) behind the first C2PA action that declares AI generation, else AI
    editing: named by the action's software agent, then by the claim generator of the
    manifest that holds the action (an ingredient's manifest for a history), then the signer."""
    ai = []
    for action in prov.c2pa.actions:
        st = parse_source_type(action.digital_source_type, "c2pa")
        if st is not None and st.category in ("ai_generated", "ai_edited"):
            ai.append((st.category != "ai_generated", action))
    if not ai:
        return None
    ai.sort(key=lambda pair: pair[0])  # generation before editing, otherwise in manifest order
    edit_only, action = ai[0]
    tool, name = _c2pa_tool(
        action.software_agent,
        action.claim_generator,
        prov.c2pa.claim_generator,
        prov.c2pa.signer,
        prov.c2pa.issuer,
    )
    model = next((a.model for _, a in ai if a.model), None)
    return declared(
        tool or "unknown",
        name or "Content Credentials",
        "c2pa",
        "edit" if edit_only else "generation",
        model=model,
    )


def analyze_provenance(
    c2pa: C2PAState,
    metadata: Metadata,
    full_image: Callable[[], Image.Image | None],
) -> tuple[Provenance, list[Notice]]:
    """Join the Content Credentials already read (``c2pa``) with the declarations in the
    metadata: IPTC source types and generator signatures."""
    notices: list[Notice] = []
    raw = metadata.raw
    xmp = raw.get("xmp") or {}
    prov = Provenance(analyzed=True, c2pa=c2pa)

    prov.source_types = xmp_source_types(xmp)
    for action in prov.c2pa.actions:
        st = parse_source_type(action.digital_source_type, "c2pa")
        if st is not None:
            prov.source_types.append(st)

    png_text: dict[str, str] = {}
    for entry in raw.get("png_text") or []:
        png_text.setdefault(entry["keyword"], entry["text"])
    src = GeneratorSource(
        png_text=png_text,
        exif=raw.get("exif") or {},
        xmp=xmp,
        iptc=raw.get("iptc") or {},
        software=metadata.software,
        full_image=full_image,
    )
    generators, failures = detect_generators(src)
    notices.extend(Notice("generator_parser_failed", f) for f in failures)
    notices.extend(
        Notice("generator_payload_damaged", f"{g.name} signature in {g.where}: {g.error}")
        for g in generators
        if g.error
    )

    generator = _c2pa_generator(prov)
    if generator is not None:
        generators.insert(0, generator)

    categories = {st.category for st in prov.source_types}
    signatures = [g for g in generators if g.confidence == "declared"]
    prov.generators = generators
    prov.ai_declared = "ai_generated" in categories or any(g.declares == "generation" for g in signatures)
    prov.ai_edit_declared = "ai_edited" in categories or any(g.declares == "edit" for g in signatures)
    prov.capture_declared = "capture" in categories
    primary = next((g for g in signatures if g.declares == "generation"), None) or next(
        iter(signatures), None
    )
    prov.generator = primary or next(iter(generators), Generator())
    return prov, notices
