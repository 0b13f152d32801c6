"""Families of copies (``core.index.tree.families``) as the pages show them: for each group of
files that show one picture, the copy closest to the original and why, a small graph (each copy
under the one it was made from) and a table with the reason for each edge.

File names are untrusted: shown through ``safe`` and ``dataframe``, and quoted for Graphviz
(a label is plain text there, never markup)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.escaping import escape_lines
from core.index.tree import Families, Tree
from dashboard.result_view import ROW_WRAPS
from dashboard.ui import dataframe, safe

# Characters of a file name drawn in a graph's box (the table below it has the whole name).
LABEL_CHARS = 40


def show_families(found: Families) -> None:
    if not found.trees:
        st.write("No two of these files show the same picture (image codes and local features compared).")
        return
    st.caption(
        "Each copy sits under the copy it was most likely made from: crops and framed copies (screenshots, "
        "captions) under what they show, smaller or poorer copies under the fuller one. The closest copy is the "
        "closest of these files; the original itself may be elsewhere."
    )
    for n, tree in enumerate(found.trees, 1):
        with st.expander(
            f"Family {n}: {len(tree.copies)} copies, closest to the original: {safe(tree.closest)}",
            expanded=n == 1,
        ):
            st.markdown(
                f"**Closest to the original, of these copies:** {safe(tree.closest)}: {safe(tree.why)}."
            )
            st.graphviz_chart(family_graph(tree))
            dataframe(
                pd.DataFrame(
                    [
                        {"copy": e.child, "made from": e.parent, "as": e.kind, "why": e.reason}
                        for e in tree.edges
                    ]
                ),
                hide_index=True,
                width="stretch",
                row_height=ROW_WRAPS,
                column_config={"why": st.column_config.TextColumn("why", width="large")},
            )


def family_graph(tree: Tree) -> str:
    """The family as a Graphviz (DOT) graph: the closest copy on top, in bold."""
    node = {path: f"n{i}" for i, path in enumerate(tree.copies)}
    lines = ["digraph family {", "  rankdir=TB;", '  node [shape=box, fontname="sans-serif", fontsize=10];']
    for path, name in node.items():
        style = ', style="bold,filled", fillcolor="#e8f0fe"' if path == tree.closest else ""
        lines.append(f'  {name} [label="{_quoted(path)}"{style}];')
    for edge in tree.edges:
        lines.append(
            f'  {node[edge.parent]} -> {node[edge.child]} [label="{_quoted(edge.kind)}", fontsize=9];'
        )
    lines.append("}")
    return "\n".join(lines)


def _quoted(text: str) -> str:
    """Text for a quoted DOT string: control characters as escapes, cut to ``LABEL_CHARS``, and
    the backslashes and quotes that would end or escape the string doubled."""
    shown = escape_lines(text)
    if len(shown) > LABEL_CHARS:
        shown = shown[: LABEL_CHARS - 1] + "…"
    return shown.replace("\\", "\\\\").replace('"', '\\"')
