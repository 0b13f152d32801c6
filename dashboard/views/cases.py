"""Cases: list and open cases, review items (status, tags, notes), verify the chain of
custody, and download reports. The store in ``core.cases`` does the work.

Each section is its own panel: an item whose view fails never hides the notes, the
reports or the chain of custody."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.batch_outliers import batch_outliers, describe
from core.cases import ITEM_STATUS_LABELS, ITEM_STATUSES, CaseError, audit_head, verify_case
from core.cases.families import case_families
from core.exporters import CaseExport, formats
from core.reports.model import display_time, display_value
from core.schema import ScanResult
from dashboard.families_view import show_families
from dashboard.result_view import ROW_WRAPS, show_result
from dashboard.services import analysis_context, analyst, case_store, identity
from dashboard.ui import dataframe, panel, safe

st.title("Cases")
try:
    store = case_store()
except CaseError as exc:  # a damaged store or one on read-only media that cannot be read: one line
    st.error(safe(exc))
    st.stop()
if identity()[0] is None:
    st.warning("Enter your name in the sidebar first: every change to a case records who made it.")
    st.stop()

with panel("Creating a case"), st.form("new_case", clear_on_submit=True):
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
dataframe(
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
    with panel("The verification"):
        problems = verify_case(store, case.id)
        if problems:
            st.error("Verification failed:\n\n" + "\n".join("- " + safe(p) for p in problems))
        else:
            st.success(f"All {case.items} originals match their SHA-256 and the chain of custody is intact.")
        head = audit_head(store, case.id)
        st.markdown(
            f"Audit head: `{head['hash']}` ({head['entries']} entries). Keep it apart from the store "
            "(in the desk's log or a message): a later Verify, or a bundle, must show the same head."
        )

notes = store.notes(case.id)  # read once per run: the review panel and the notes table show them
query = st.text_input("Search items by hash, file name, camera, generator or tag", key="item_search")
items = store.items(case.id, query)
# Each stored result read once per session (None: damaged, which Verify reports): a stored
# result never changes, so it is kept by its hash; stepping through 500 items reads none again.
known: dict[tuple[int, str], ScanResult | None] = st.session_state.setdefault("stored_results", {})
typed: dict[int, ScanResult | None] = {}
for i in items:
    if (i.id, i.result_sha256) not in known:
        known[(i.id, i.result_sha256)] = i.readable_result()
    typed[i.id] = known[(i.id, i.result_sha256)]
for stale in set(known) - {(i.id, i.result_sha256) for i in items}:  # only the open case's items are kept
    del known[stale]


def band(item) -> str:
    result = typed[item.id]
    if result is None:
        return "stored result unreadable: run Verify"
    return result.verdict.band if result.verdict else ""


with panel("The list of items"):
    dataframe(
        pd.DataFrame(
            [
                {
                    "id": i.id,
                    "file": i.file_name,
                    "status": ITEM_STATUS_LABELS.get(i.status, i.status),
                    "tags": ", ".join(i.tags),
                    "verdict": band(i),
                    "sha256": i.sha256[:16],
                    "added by": i.added_by,
                }
                for i in items
            ],
            columns=["id", "file", "status", "tags", "verdict", "sha256", "added by"],
        ),
        hide_index=True,
        width="stretch",
        row_height=ROW_WRAPS,
        column_config={
            "id": st.column_config.NumberColumn("id", width=40),
            "sha256": st.column_config.TextColumn(
                "SHA-256", help="first 16 hex digits; the item's File tab and the reports have all 64"
            ),
        },
    )


def review(item) -> None:
    """Status, tags and notes of one item, every control naming the item it writes to; its
    widgets are keyed by the item, so nothing typed for one item is carried to another."""
    st.markdown(f"**Item {item.id}: {safe(item.file_name)}**")
    left, right = st.columns(2)
    status_key = f"status-{item.id}"
    left.radio(
        f"Status of item {item.id}",
        ITEM_STATUSES,
        index=ITEM_STATUSES.index(item.status),
        horizontal=True,
        key=status_key,
        format_func=ITEM_STATUS_LABELS.get,
        on_change=lambda: store.set_item_status(item.id, st.session_state[status_key], analyst()),
    )
    tag_key, note_key = f"new-tag-{item.id}", f"new-note-{item.id}"

    def add_tag() -> None:
        if st.session_state[tag_key].strip():
            store.tag_item(item.id, st.session_state[tag_key], analyst())
            st.session_state[tag_key] = ""

    def add_note() -> None:
        if st.session_state[note_key].strip():
            store.add_note(case.id, st.session_state[note_key], analyst(), item_id=item.id)
            st.session_state[note_key] = ""

    with right:
        if item.tags:
            st.caption(f"Tags of item {item.id} (click one to remove it):")
            for n, tag in enumerate(item.tags):
                st.button(
                    f"✕ {safe(tag)}",
                    key=f"remove-tag-{item.id}-{n}",
                    on_click=store.tag_item,
                    args=(item.id, tag, analyst()),
                    kwargs={"remove": True},
                )
        else:
            st.caption(f"Item {item.id} has no tags.")
        st.text_input(f"Add a tag to item {item.id}", key=tag_key)
        st.button(f"Add tag to item {item.id}", on_click=add_tag, key=f"add-tag-{item.id}")
    st.text_area(f"Note on item {item.id}", key=note_key)
    st.button(f"Add note to item {item.id}", on_click=add_note, key=f"add-note-{item.id}")
    for note in notes:
        if note["item_id"] == item.id:
            st.caption(
                f"{safe(display_time(note['created_at']))}, {safe(note['author'])}: {safe(note['text'])}"
            )


if items:
    st.subheader("Review an item")
    # The item under review is one piece of state, the selector's own value (an item id):
    # Previous and Next (keys K and J) set it and the panel reads it, so they always agree.
    pick_key = f"item-under-review-{case.id}"
    ids = [i.id for i in items]
    by_id = {i.id: i for i in items}
    place = {item_id: n for n, item_id in enumerate(ids)}
    if st.session_state.get(pick_key) not in by_id:  # first visit, or the search left it out
        st.session_state[pick_key] = ids[0]

    def step(delta: int) -> None:
        st.session_state[pick_key] = ids[(place[st.session_state[pick_key]] + delta) % len(ids)]

    p_col, pick_col, n_col = st.columns([1, 6, 1])
    p_col.button("Previous", on_click=step, args=(-1,), shortcut="K", key="previous_item", width="stretch")
    n_col.button("Next", on_click=step, args=(1,), shortcut="J", key="next_item", width="stretch")
    pick_col.selectbox(
        "Item under review",
        ids,
        key=pick_key,
        label_visibility="collapsed",
        format_func=lambda i: (
            f"{place[i] + 1} of {len(ids)}: item {i}, {by_id[i].file_name} ({band(by_id[i])})"
        ),
    )
    item = by_id[st.session_state[pick_key]]
    with panel(f"The status, tags and notes of item {item.id}"):
        review(item)
    # The full analysis, from the stored result (nothing is analysed again); the original from
    # the store is only handed to file workers, for the preview and the maps.
    with st.container(border=True), panel(f"The analysis of item {item.id}"):
        if typed[item.id] is None:
            st.error(f"Item {item.id}: its stored result cannot be read; run Verify.")
        else:
            try:
                data = store.read_original(item.sha256)
            except CaseError as exc:  # missing, modified or a planted link: the stored analysis still shows
                st.warning(safe(exc))
                data = None
            show_result(typed[item.id], item.file_name, data, key=f"item-{item.id}")

with panel("Items that break from their device group"):
    if outliers := batch_outliers([r for r in typed.values() if r is not None]):
        st.subheader("Items that break from their device group")
        dataframe(
            pd.DataFrame(
                [{"file": o["path"], "device": o["device"], "differs": describe(o)} for o in outliers]
            ),
            hide_index=True,
            width="stretch",
            row_height=ROW_WRAPS,
        )

with panel("The families of copies"):
    st.subheader("Copies of one picture")
    if st.toggle(
        "Trace the copies among these items",
        key=f"trace_copies-{case.id}",
        help="Crops, screenshots, mirrored, resized and re-encoded copies, and the one closest to the original. "
        "Items in the desk's seen-before index are not decoded again; the others are fingerprinted once.",
    ):
        traced = st.session_state.setdefault("case_families", {})
        pairs = [(i, typed[i.id]) for i in items if typed[i.id] is not None]
        key = tuple((i.id, i.sha256) for i, _ in pairs)
        if key not in traced:
            with st.spinner("Fingerprinting..."):
                traced.clear()  # one case's families kept at a time
                traced[key] = case_families(store, pairs, analysis_context().settings, decode_missing=True)
        found, untraced = traced[key]
        show_families(found)
        if untraced:
            st.caption(f"Not traced (the original cannot be read or decoded): {safe(', '.join(untraced))}")

with panel("The notes"):
    if notes:
        st.subheader("Notes")
        dataframe(
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
            row_height=ROW_WRAPS,
        )

st.subheader("Reports")
with panel("Reports"):
    exporters = formats("case")
    fmt = st.selectbox(
        "Format",
        list(exporters),
        key="report_format",
        format_func=lambda name: f"{name}: {exporters[name].help}",
    )
    exporter = exporters[fmt]
    redact = exporter.redactable and st.checkbox(
        "Redact for sharing outside the newsroom (GPS, serial numbers, names, prompts)", key="report_redact"
    )
    if st.button("Prepare report", key="prepare_report"):
        data = exporter.to_bytes(CaseExport(store, case.id, redact, analysis_context().settings))
        prepared = (exporter.file_name(f"case-{case.id}{'-redacted' if redact else ''}"), data, exporter.mime)
        st.session_state["report"] = ((case.id, fmt, redact), prepared)
    # A download is offered only for the options shown: a report prepared before the format or
    # redaction changed (an unredacted file, say) is never offered under the new options.
    options, prepared = st.session_state.get("report", (None, None))
    if prepared is not None and options == (case.id, fmt, redact):
        file_name, data, mime = prepared
        st.download_button(f"Download {file_name}", data, file_name, mime)
    elif prepared is not None:
        st.caption("The options changed since the last report was prepared: prepare it again to download.")

with st.expander("Chain of custody"), panel("The chain of custody"):
    dataframe(
        pd.DataFrame(
            [
                {
                    "#": e["id"],
                    "when": display_time(e["at"]),
                    "who": e["actor"],
                    "what": e["action"],
                    "details": display_value(e["details"]),
                    "hash": e["hash"][:16],
                }
                for e in store.audit_log(case.id)
            ]
        ),
        hide_index=True,
        width="stretch",
    )
