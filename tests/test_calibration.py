"""Calibration on the desk's own photos: the profile, the ledger's wording, refusals."""

from __future__ import annotations

import json

import pytest

from core.calibration import CalibrationError, load_profile, profile_hash, sign_profile
from core.cli import main
from core.context import make_context
from core.pipeline import analyze
from core.settings import Settings
from core.sources import Source
from tests.conftest import run_cli
from tests.images import camera_exif, encode, photo

# The desk's key as the tests' settings name it (the per-session config folder of conftest).
DESK = Settings().desk_key()


@pytest.fixture(scope="module")
def profile(tmp_path_factory, tiny_model):
    root = tmp_path_factory.mktemp("calibration")
    (root / "real").mkdir()
    (root / "ai").mkdir()
    for i in range(12):
        (root / "real" / f"IMG_{i:03}.jpg").write_bytes(
            encode(photo((320, 240), seed=i), "JPEG", exif=camera_exif())
        )
    (root / "real" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a photo")
    for i in range(4):
        (root / "ai" / f"gen_{i}.png").write_bytes(encode(photo((256, 256), seed=100 + i), "PNG"))
    out = root / "profile.json"
    code = main(
        [
            "calibrate",
            "--real",
            str(root / "real"),
            "--ai",
            str(root / "ai"),
            "--out",
            str(out),
            "--model",
            str(tiny_model),
            "--target-fpr",
            "0.1",
        ]
    )
    assert code == 0
    return out


def test_the_profile_holds_scores_rates_and_the_files_used(profile, tiny_model):
    data = load_profile(profile, DESK)
    part = data["models"][str(tiny_model)]
    real = part["real_scores"]
    assert len(real) == 12 and real == sorted(real) and len(part["ai_scores"]) == 4
    assert len(data["files"]["real"]) == 12 and len(data["files"]["ai"]) == 4
    assert [f["why"] for f in data["files"]["not_scored"]] == [
        "decode_failed"
    ]  # the broken file is named, not lost
    for band in part["bands"].values():
        hits = sum(s >= band["threshold"] for s in real)
        assert band["real_at_or_above"] == hits and band["false_positive_rate"] == round(hits / 12, 6)
        low, high = band["interval_95"]
        assert 0 <= low <= band["false_positive_rate"] <= high <= 1
    # 10% of 12 photos: one may score above the threshold, no more.
    assert sum(s > part["threshold_for_target"] for s in real) <= 1


def test_the_ledger_cites_the_desk_photos_in_numbers(profile, tiny_model):
    ctx = make_context(
        Settings(model=str(tiny_model), calibration=str(profile), forensics=False, stability="never")
    )
    r = analyze(Source.from_bytes("new.jpg", encode(photo((320, 240), seed=50), "JPEG")), ctx)
    data = load_profile(profile, DESK)
    real = data["models"][str(tiny_model)]["real_scores"]
    expected = sum(s >= r.classifier.p_artificial for s in real)
    score = next(f for f in r.findings if f.rule == "classifier.score")
    assert f"{expected} of its 12 verified camera photos scored this high or higher" in score.sentence
    assert f"(profile {data['sha256'][:12]})" in score.sentence
    assert r.calibration.profile == data["sha256"]


def test_a_changed_or_foreign_profile_is_refused(profile, tiny_model, tiny_model_swapped, tmp_path):
    changed = tmp_path / "changed.json"
    data = json.loads(profile.read_text())
    data["models"][str(tiny_model)]["real_scores"][0] = 0.0
    changed.write_text(json.dumps(data))
    with pytest.raises(CalibrationError, match="changed after it was written"):
        make_context(Settings(model=str(tiny_model), calibration=str(changed)))
    with pytest.raises(CalibrationError, match="has no scores of"):
        make_context(Settings(model=str(tiny_model_swapped), calibration=str(profile)))
    other = json.loads(profile.read_text())
    other["models"][str(tiny_model)]["revision"] = "local-sha256:another-model"
    other["sha256"] = profile_hash(other)
    (tmp_path / "other.json").write_text(json.dumps(sign_profile(other, DESK)))  # the desk's own, re-signed
    with pytest.raises(CalibrationError, match="describe another model"):
        make_context(Settings(model=str(tiny_model), calibration=str(tmp_path / "other.json")))
    (tmp_path / "junk.json").write_bytes(b"\x00\xff not json")
    with pytest.raises(CalibrationError, match="cannot be read"):
        make_context(Settings(model=str(tiny_model), calibration=str(tmp_path / "junk.json")))
    assert (
        main(["scan", str(tmp_path), "--model", str(tiny_model), "--config", str(_config(tmp_path, changed))])
        == 2
    )


def _config(tmp_path, profile):
    config = tmp_path / "settings.toml"
    config.write_text(f'calibration = "{profile}"\n')
    return config


def test_the_settings_page_shows_the_distributions(profile, tiny_model, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.setenv("FORENSICS_MODEL", str(tiny_model))
    monkeypatch.setenv("FORENSICS_CALIBRATION", str(profile))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "model_settings.py"), default_timeout=60).run()
    st.cache_resource.clear()
    assert not at.exception
    assert any(c.value.startswith("Profile ") for c in at.caption)
    bands = at.dataframe[-1].value
    assert list(bands["band threshold"]) == [0.9, 0.75, 0.6, 0.4]


def test_bundles_record_the_profile_their_items_cite(profile, tiny_model, tmp_path):
    import zipfile

    from core.cases import CaseStore
    from core.reports.bundle import create_bundle, verify_bundle

    ctx = make_context(
        Settings(model=str(tiny_model), calibration=str(profile), forensics=False, stability="never")
    )
    store = CaseStore(tmp_path / "store", key_path=tmp_path / "key")
    c = store.create_case("Calibrated", "ana")
    data = encode(photo((320, 240), seed=60), "JPEG")
    store.add_item(c.id, "a.jpg", data, analyze(Source.from_bytes("a.jpg", data), ctx), "ana")
    manifest = create_bundle(store, c.id, tmp_path / "case.zip", settings=ctx.settings)
    assert manifest["analysis"]["calibration_profiles"] == [load_profile(profile, DESK)["sha256"]]
    assert verify_bundle(tmp_path / "case.zip") == []
    with zipfile.ZipFile(tmp_path / "case.zip") as zf:
        assert load_profile(profile, DESK)["sha256"][:12] in zf.read("report.html").decode()


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda part: part["real_scores"].append(float("nan")), "not a finite number from 0 to 1"),
        (lambda part: part["real_scores"].append(float("inf")), "not a finite number from 0 to 1"),
        (lambda part: part["real_scores"].append("0.5"), "not a finite number from 0 to 1"),
        (lambda part: part.update(real_scores={"0": 0.1}), "real_scores is not a list"),
        (lambda part: part.update(real_scores=part["real_scores"][::-1]), "real_scores is not sorted"),
        (lambda part: part["bands"]["strong"].update(real_at_or_above=0), "band 'strong' counts 0"),
        (
            lambda part: part.update(ai_scores=[0.1] * 50),
            "ai_scores holds more scores than the profile lists",
        ),
    ],
)
def test_a_forged_or_malformed_profile_is_refused_before_any_file(
    profile, tiny_model, tmp_path, edit, problem
):
    """Regression: NaN and inf counted as "at or above", unsorted scores gave wrong counts, a dict
    was taken as the score list, a text score crashed the scan mid-way. Each is now refused, with
    the problem named, even when the forger recomputed the profile's hash."""
    data = json.loads(profile.read_text())
    part = data["models"][str(tiny_model)]
    if "at or above" not in problem and "counts" not in problem:
        part["bands"] = {}  # so that only the edited list is at fault
    edit(part)
    data["sha256"] = profile_hash(data)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    with pytest.raises(CalibrationError, match="is not well-formed") as refused:
        load_profile(forged, DESK)
    assert problem in str(refused.value)
    proc = run_cli(
        "scan", str(tmp_path), "--model", str(tiny_model), env={"FORENSICS_CALIBRATION": str(forged)}
    )
    # A usage error before any file, never a crash mid-scan.
    assert (proc.returncode, proc.stdout) == (2, "") and "is not well-formed" in proc.stderr


def test_a_profile_path_that_is_not_a_regular_file_or_is_nested_too_deep_is_refused(tmp_path):
    import os

    fifo = tmp_path / "profile.fifo"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(CalibrationError, match="cannot be read"):
            load_profile(path, DESK)  # returns at once: never opened for reading, never read whole
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CalibrationError, match="cannot be read: RecursionError"):
        load_profile(deep, DESK)


def test_an_edited_and_rehashed_profile_or_another_desks_is_refused(profile, tiny_model, tmp_path):
    """Regression: a profile with forged scores and a recomputed hash was accepted and cited
    ("500 verified, 0 at or above"): the hash only caught accidents. Profiles are now signed
    with the desk's key (setting case_key) and refused when the signature does not verify."""
    from core.cases.audit import AnchorKey

    data = json.loads(profile.read_text())
    part = data["models"][str(tiny_model)]
    part["real_scores"] = [0.0] * len(part["real_scores"])  # "no verified photo ever scored this high"
    for band in part["bands"].values():
        band["real_at_or_above"] = 0
    data["sha256"] = profile_hash(data)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    with pytest.raises(CalibrationError, match="its signature does not verify with this desk's key"):
        load_profile(forged, DESK)
    proc = run_cli(
        "scan", str(tmp_path), "--model", str(tiny_model), env={"FORENSICS_CALIBRATION": str(forged)}
    )
    assert (proc.returncode, proc.stdout) == (2, "") and "its signature does not verify" in proc.stderr

    other_desk = AnchorKey(tmp_path / "other-desk.key")
    (tmp_path / "theirs.json").write_text(
        json.dumps(sign_profile(json.loads(profile.read_text()), other_desk))
    )
    with pytest.raises(CalibrationError, match="written by another desk"):
        load_profile(tmp_path / "theirs.json", DESK)
    assert load_profile(tmp_path / "theirs.json", other_desk)["models"]  # it holds for the desk that wrote it

    unsigned = json.loads(profile.read_text())
    del unsigned["signature"]
    (tmp_path / "unsigned.json").write_text(json.dumps(unsigned))
    with pytest.raises(CalibrationError, match="it is not signed: write it again"):
        load_profile(tmp_path / "unsigned.json", DESK)
    old = dict(unsigned, profile_version=1)
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(CalibrationError, match="written before profiles were signed"):
        load_profile(tmp_path / "old.json", DESK)
    lost = AnchorKey(tmp_path / "lost.key", may_create=lambda: False)
    with pytest.raises(CalibrationError, match=r"the desk's key .*lost.key is missing"):
        load_profile(profile, lost)
    assert not (tmp_path / "lost.key").exists()
