"""Project rules: core never imports the UI; every setting and output column is documented."""

from __future__ import annotations

import ast
import os
import re

from core.output import CSV_COLUMNS
from core.settings import SETTINGS, load_settings, settings_table
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"


def test_core_never_imports_streamlit():
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith(("streamlit.", "dashboard")) for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_settings_page_of_the_manual_is_made_from_the_settings_table():
    """docs/settings.md holds exactly the table ``settings_table()`` makes; when a setting changes,
    ``UPDATE_GOLDENS=1 python -m pytest tests/test_project.py`` rewrites it."""
    page = DOCS / "settings.md"
    text = page.read_text(encoding="utf-8")
    begin, end = "<!-- settings table", "<!-- end of settings table -->"
    head, rest = text.split(begin, 1)
    marker, _, tail = rest.partition("\n")
    table, _, after = tail.partition(end)
    if os.environ.get("UPDATE_GOLDENS") == "1":
        page.write_text(head + begin + marker + "\n" + settings_table() + end + after, encoding="utf-8")
        table = settings_table()
    assert table == settings_table()
    for s in SETTINGS:
        assert re.search(rf"\|\s*`{s.name}`\s*\|\s*`{s.env}`\s*\|", table), s.name


def test_every_csv_column_is_documented():
    schema = (DOCS / "result-schema.md").read_text(encoding="utf-8")
    for column in CSV_COLUMNS:
        assert f"`{column}`" in schema, column


def test_the_readme_is_short_and_every_page_it_points_to_exists():
    assert len(README.splitlines()) < 150
    links = re.findall(r"\]\(((?:docs|bench)/[^)#]+)", README)
    assert {"docs/settings.md", "docs/architecture.md", "docs/result-schema.md"} <= set(links)
    assert [link for link in links if not (ROOT / link).is_file()] == []
    for page in DOCS.glob("*.md"):  # links between the manual's pages too
        for link in re.findall(r"\]\(([\w-]+\.md)", page.read_text(encoding="utf-8")):
            assert (DOCS / link).is_file(), f"{page.name}: {link}"


def test_readme_has_exactly_two_commands():
    blocks = re.findall(r"```(?:bash|sh|shell)\n(.*?)```", README, flags=re.S)
    assert len(blocks) == 2
    assert "streamlit run dashboard/app.py" in blocks[0]
    assert "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci


def test_settings_resolution_order(tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text('model = "/models/from-file"\nbatch_size = 4\n')
    env = {"FORENSICS_BATCH_SIZE": "2", "FORENSICS_CLASSIFIER": "false"}
    s = load_settings(config, env=env, overrides={"batch_size": 16, "model": None})
    assert (s.model, s.batch_size, s.classifier) == ("/models/from-file", 16, False)


def test_every_core_package_imports_on_its_own():
    """Import cycles show only in some import orders: each package is imported first, in a fresh interpreter."""
    import subprocess
    import sys

    packages = sorted(
        p.parent.relative_to(ROOT).as_posix().replace("/", ".") for p in (ROOT / "core").rglob("__init__.py")
    )
    code = "import importlib, sys; importlib.import_module(sys.argv[1])"
    failed = {
        name: proc.stderr.strip().splitlines()[-1]
        for name in packages
        if (
            proc := subprocess.run(
                [sys.executable, "-c", code, name], cwd=ROOT, capture_output=True, text=True
            )
        ).returncode
    }
    assert failed == {}


def test_intake_and_metadata_import_nothing_above_them():
    """Containers are walked in core.intake, so intake never reaches up into forensics or provenance."""
    offenders = []
    for path in [*(ROOT / "core" / "intake").rglob("*.py"), *(ROOT / "core" / "metadata").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith(
                    ("core.forensics", "core.provenance", "core.ledger", "core.pipeline")
                )
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert offenders == []


# The heavy stacks that the commands using them import inside a function, so that a scan (and a
# metadata-only one above all) starts without them: the report stack (Jinja2, the PDF library,
# cryptography), the case store, the seen-before index (NumPy, OpenCV, usearch), the model stack
# (torch, transformers, OpenVINO) and what imports them (issue 25; tests/test_cli.py holds it).
LAZY = ("core.reports", "core.cases", "core.index", "core.detector", "core.calibration", "core.case_cli")


def test_no_core_module_is_imported_inside_a_function():
    """Imports of our own modules sit at the top of each module, so the import graph is the one
    a reader sees, and a cycle fails loudly instead of being dodged by a late import; only the
    heavy stacks of ``LAZY`` are imported by the functions that use them."""

    def lazy(name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in LAZY)

    late = []
    for path in (ROOT / "core").rglob("*.py"):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "core":
                    names = [f"core.{a.name}" for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] if node.level == 0 else ["(relative)"]
                else:
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                own = [n for n in names if n == "(relative)" or n.split(".")[0] == "core"]
                if any(not lazy(n) for n in own):
                    late.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert late == []


def test_the_settings_dataclass_and_the_settings_table_are_in_step():
    """One field per setting, in the table's order, each with a default of the type it parses to."""
    import dataclasses
    import typing

    from core.settings import Settings

    types = typing.get_type_hints(Settings)
    fields = dataclasses.fields(Settings)
    assert [f.name for f in fields] == [s.name for s in SETTINGS]
    assert [type(f.default) for f in fields] == [types[f.name] for f in fields]
