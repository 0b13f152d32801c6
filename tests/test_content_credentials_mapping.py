"""The table of docs/content-credentials.md, row by row: c2pa-python's validation state and
failed checks in, the status of the file's credentials and of its ingredients out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.provenance.c2pa_credentials import credentials_from_store
from core.vocabulary import C2PAStatus

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "content-credentials.md").read_text(
    encoding="utf-8"
)
SECTION = PAGE.split("## From the validator's result to the status", 1)[1].split("\n## ", 1)[0]
ROWS = [
    [cell.strip() for cell in line.strip().strip("|").split("|")]
    for line in SECTION.splitlines()
    if line.startswith("| ") and not line.startswith("| Validator state")
]


def codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def report(own: list[str], ingredient: str) -> dict:
    """A reader report in c2pa-python's JSON shape, with an ingredient that carries credentials
    unless the row has none."""
    manifest = {"signature_info": {"common_name": "Test Signer"}}
    deltas = []
    if ingredient != "—":
        manifest["ingredients"] = [{"title": "earlier.jpg", "active_manifest": "urn:c2pa:earlier"}]
        deltas = [{"validationDeltas": {"failure": [{"code": c} for c in codes(ingredient)]}}]
    return {
        "active_manifest": "urn:c2pa:file",
        "manifests": {"urn:c2pa:file": manifest, "urn:c2pa:earlier": {}},
        "validation_results": {
            "activeManifest": {"failure": [{"code": c} for c in own]},
            "ingredientDeltas": deltas,
        },
    }


def test_the_table_has_every_status_and_every_row_is_read():
    assert len(ROWS) >= 20 and all(len(row) == 6 for row in ROWS)
    listed = {line.split("|")[1].strip() for line in PAGE.splitlines() if line.startswith("| ")}
    assert {status.value for status in C2PAStatus} <= listed


@pytest.mark.parametrize("row", ROWS, ids=[" / ".join(r[:3]) for r in ROWS])
def test_each_row_of_the_mapping(row):
    state, own, ingredient, trust_list, status, ingredients = row
    c = credentials_from_store(report(codes(own), ingredient), state.lower(), trust_list == "yes")
    assert c.state == status
    assert c.ingredients_state == (None if ingredients == "—" else ingredients)
