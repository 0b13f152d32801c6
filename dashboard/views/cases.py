"""Cases: list and open cases, review items (status, tags, notes), verify the chain of
custody, and download reports. The store in ``core.cases`` does the work."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core.batch_outliers import batch_outliers, describe
from core.cases import ITEM_STATUSES, CaseError, verify_case
from core.reports import MIME_TYPES, RENDERERS, build_report
from core.reports.bundle import create_bundle
from core.reports.model import display_time, display_value
from dashboard.result_view import show_result
from dashboard.services import analysis_context, analyst, case_store, identity
from dashboard.ui import safe

st.title("Cases")
store = case_store()
if identity()[0] is None:
    st.warning("Enter your name in the sidebar first: every change to a case records who made it.")
    st.stop()

with st.form("new_case", clear_on_submit=True):
    name = st.text_input("New case name", key="new_case_name")
    if st.form_submit_button("Create case") and name.strip():
        try:
            store.create_case(name, analyst())
            st.success(f"Case created: {safe(name)}")
        except CaseError as exc:
            st.error(safe(exc))

cases = store.cases()
if not cases:
    st.info("No case yet. Create one above, then add files from the Batch review page.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "id": c.id,
                "case": c.name,
                "status": c.status,
                "items": c.items,
                "updated": display_time(c.updated_at),
            }
            for c in cases
        ]
    ),
    hide_index=True,
    width="stretch",
)
case = st.selectbox("Open a case", cases, format_func=lambda c: f"{c.id}: {c.name} ({c.status})")
case = store.case(case.id)
st.header(safe(case.name))

a, b, c = st.columns(3)
# Changes go through callbacks, which run before the page is drawn again: no explicit reruns.
with a.popover("Rename"):
    st.text_input("New name", value=case.name, key=f"rename-{case.id}")
    st.button(
        "Rename case",
        on_click=lambda: store.rename_case(case.id, st.session_state[f"rename-{case.id}"], analyst()),
    )
b.button(
    "Close case" if case.status == "open" else "Re-open case",
    on_click=store.set_case_status,
    args=(case.id, "closed" if case.status == "open" else "open", analyst()),
)
if c.button("Verify originals and chain of custody"):
    problems = verify_case(store, case.id)
    if problems:
        st.error("Verification failed:\n\n" + "\n".join("- " + safe(p) for p in problems))
    else:
        st.success(f"All {case.items} originals match their SHA-256 and the chain of custody is intact.")

query = st.text_input("Search items by hash, file name, camera, generator or tag", key="item_search")
items = store.items(case.id, query)
# Each stored result read once per run (None: damaged, which Verify reports).
typed: dict[int, object] = {}
for i in items:
    try:
        typed[i.id] = i.scan_result()
    except CaseError:
        typed[i.id] = None


def band(item) -> str:
    result = typed[item.id]
    if result is None:
        return "stored result unreadable: run Verify"
    return result.verdict.band if result.verdict else ""


st.dataframe(
    pd.DataFrame([{
        "id": i.id, "file": i.file_name, "status": i.status, "tags": ", ".join(i.tags),
        "verdict": band(i), "sha256": i.sha256, "added by": i.added_by,
    } for i in items], columns=["id", "file", "status", "tags", "verdict", "sha256", "added by"]),
    hide_index=True, width="stretch",
)  # fmt: skip

if items:
    st.subheader("Review an item")
    # The position in this list is kept per case, so Previous/Next (keys K and J) walk the items.
    pos_key = f"item-position-{case.id}"
    position = min(st.session_state.get(pos_key, 0), len(items) - 1)

    def step(delta: int) -> None:
        st.session_state[pos_key] = (position + delta) % len(items)

    def chosen() -> None:
        st.session_state[pos_key] = st.session_state[f"item-pick-{case.id}"]

    p_col, pick_col, n_col = st.columns([1, 6, 1])
    p_col.button("Previous", on_click=step, args=(-1,), shortcut="K", key="previous_item", width="stretch")
    n_col.button("Next", on_click=step, args=(1,), shortcut="J", key="next_item", width="stretch")
    pick_col.selectbox("Item", range(len(items)), index=position, key=f"item-pick-{case.id}", on_change=chosen,
                       format_func=lambda i: f"{i + 1} of {len(items)}: {items[i].file_name} ({band(items[i])})",
                       label_visibility="collapsed")  # fmt: skip
    item = items[position]
    left, right = st.columns(2)
    status_key = f"status-{item.id}"
    left.radio(
        "Status", ITEM_STATUSES, index=ITEM_STATUSES.index(item.status), horizontal=True, key=status_key,
        on_change=lambda: store.set_item_status(item.id, st.session_state[status_key], analyst()),
    )  # fmt: skip

    def add_tag() -> None:
        if st.session_state["new_tag"].strip():
            store.tag_item(item.id, st.session_state["new_tag"], analyst())
            st.session_state["new_tag"] = ""

    def add_note() -> None:
        if st.session_state["new_note"].strip():
            store.add_note(case.id, st.session_state["new_note"], analyst(), item_id=item.id)
            st.session_state["new_note"] = ""

    right.text_input("Add a tag", key="new_tag")
    right.button("Add tag", on_click=add_tag)
    st.text_area("Note on this item", key="new_note")
    st.button("Add note", on_click=add_note)
    for note in store.notes(case.id):
        if note["item_id"] == item.id:
            st.caption(
                f"{safe(display_time(note['created_at']))}, {safe(note['author'])}: {safe(note['text'])}"
            )

    # The full analysis, from the stored result (nothing is analysed again); the original from
    # the store is only handed to file workers, for the preview and the maps.
    with st.container(border=True):
        if typed[item.id] is None:
            st.error(f"Item {item.id}: its stored result cannot be read; run Verify.")
        else:
            original = store.original_path(item.sha256)
            data = original.read_bytes() if original.exists() else None
            show_result(typed[item.id], item.file_name, data, key=f"item-{item.id}")

if outliers := batch_outliers([r for r in typed.values() if r is not None]):
    st.subheader("Items that break from their device group")
    st.dataframe(
        pd.DataFrame([{"file": o["path"], "device": o["device"], "differs": describe(o)} for o in outliers]),
        hide_index=True, width="stretch",
    )  # fmt: skip

notes = store.notes(case.id)
if notes:
    st.subheader("Notes")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "when": display_time(n["created_at"]),
                    "who": n["author"],
                    "item": display_value(n["item_id"]),
                    "note": n["text"],
                }
                for n in notes
            ]
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Reports")
fmt = st.selectbox("Format", [*RENDERERS, "bundle"], key="report_format")
redact = st.checkbox(
    "Redact for sharing outside the newsroom (GPS, serial numbers, names, prompts)",
    disabled=fmt == "bundle",
    key="report_redact",
)
if st.button("Prepare report", key="prepare_report"):
    if fmt == "bundle":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bundle.zip"
            create_bundle(store, case.id, path, settings=analysis_context().settings)
            prepared = (f"case-{case.id}-bundle.zip", path.read_bytes(), "application/zip")
    else:
        data = RENDERERS[fmt](
            build_report(store, case.id, redact=redact, settings=analysis_context().settings)
        )
        prepared = (f"case-{case.id}{'-redacted' if redact else ''}.{fmt}", data, MIME_TYPES[fmt])
    st.session_state["report"] = ((case.id, fmt, redact), prepared)
# A download is offered only for the options shown: a report prepared before the format or
# redaction changed (an unredacted file, say) is never offered under the new options.
options, prepared = st.session_state.get("report", (None, None))
if prepared is not None and options == (case.id, fmt, redact):
    file_name, data, mime = prepared
    st.download_button(f"Download {file_name}", data, file_name, mime)
elif prepared is not None:
    st.caption("The options changed since the last report was prepared: prepare it again to download.")

with st.expander("Chain of custody"):
    st.dataframe(
        pd.DataFrame([{"#": e["id"], "when": display_time(e["at"]), "who": e["actor"], "what": e["action"],
                       "details": display_value(e["details"]),
                       "hash": e["hash"][:16]} for e in store.audit_log(case.id)]),
        hide_index=True, width="stretch",
    )  # fmt: skip
