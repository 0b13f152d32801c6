"""A result as plain text, for a publication note or a message to a colleague ("copy
findings as text"): the verdict in its own words, the evidence, what it does not show, and
the file's hashes, so the note can be checked against the file later."""

from __future__ import annotations

from core.escaping import escape_unprintable
from core.schema import ScanResult

# Context findings add background, not weight: the note lists at most this many.
MAX_CONTEXT = 4


def plain_summary(result: ScanResult) -> str:
    f = result.file
    lines = [f"File: {escape_unprintable(result.path)}"]
    if f.sha256:
        lines.append(f"SHA-256: {f.sha256}")
    if result.error is not None:
        lines.append(f"Could not be analysed ({result.error.code}): {result.error.message}")
    if result.verdict is not None:
        lines += ["", f"Verdict: {result.verdict.band}", result.verdict.sentence]
    weighty = [x for x in result.findings if x.strength != "context"]
    context = [x for x in result.findings if x.strength == "context"][:MAX_CONTEXT]
    if weighty or context:
        lines += ["", "Evidence (strongest first):"]
        lines += [f"- [{x.strength}] {x.sentence}" for x in (*weighty, *context)]
    if result.verdict is not None and result.verdict.caveats:
        lines += ["", "What this does not show:"]
        lines += [f"- {c}" for c in result.verdict.caveats]
    lines += [
        "",
        f"Analysed with Image Evidence Desk {result.tool_version} (result schema {result.schema_version}).",
    ]
    return "\n".join(lines)
