"""``moesaic synth``: fit from a simulated plant, sample with provenance, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import typer
from typer.testing import CliRunner

from moesaic.cli.synth import synth
from moesaic.config import apply_overrides
from moesaic.data.simulator import SimulatorConfig, simulate_to
from moesaic.tasks.synth.config import SynthConfig
from moesaic.tasks.synth.synthesizer import Synthesizer

runner = CliRunner()
app = typer.Typer()
app.command()(synth)

SETTINGS = (
    "train.max_steps=3", "train.warmup_steps=0", "train.batch_size=16", "train.eval_every=3",
    "model.encoders.dim=8", "model.num_layers=1", "model.num_heads=2", "steps=2",
)  # fmt: skip
TINY = [part for setting in SETTINGS for part in ("--set", setting)]


def test_fit_then_sample_writes_samples_with_provenance(tmp_path: Path) -> None:
    torch.manual_seed(0)
    plant = tmp_path / "plant"
    config = SimulatorConfig(num_assets=2, days=4, seed=0, fault_rate=24.0, drawings=False)
    simulate_to(config, plant)
    model = tmp_path / "model"
    args = ["--fit", str(plant), "--save", str(model), "--by", "fault,asset_type", *TINY]
    fitted = runner.invoke(app, args)
    assert fitted.exit_code == 0, fitted.output
    out = tmp_path / "out"
    args = ["--model", str(model), "--condition", "fault=0", "--n", "3", "--out", str(out)]
    sampled = runner.invoke(app, args)
    assert sampled.exit_code == 0, sampled.output
    samples = pd.read_csv(out / "samples.csv")
    provenance = pd.read_csv(out / "provenance.csv")
    assert samples["synthetic"].all() and samples["sample_id"].nunique() == 3
    assert len(provenance) == 3 and provenance["synthetic"].all()
    assert set(provenance.columns) >= {"sample_id", "model", "model_sha256", "seed", "condition"}
    assert provenance["condition"].iloc[0] == '{"fault": "0"}'
    assert set(samples["sample_id"]) == set(provenance["sample_id"])
    named = runner.invoke(
        app, ["--model", str(model), "--condition", "fault=Normal", "--n", "2", "--out", str(out)]
    )
    assert named.exit_code == 0, named.output  # the name the data gives code 0
    assert pd.read_csv(out / "provenance.csv")["condition"].iloc[0] == '{"fault": "0"}'  # as fault=0
    plot, parquet = tmp_path / "samples.png", tmp_path / "pq"
    args = [
        "--model",
        str(model),
        "--n",
        "2",
        "--out",
        str(parquet),
        "--format",
        "parquet",
        "--plot",
        str(plot),
    ]
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert (
        plot.read_bytes().startswith(b"\x89PNG")
        and len(pd.read_parquet(parquet / "samples.parquet")) == 2 * 24
    )
    assert sorted(f.name for f in parquet.iterdir()) == ["provenance.csv", "samples.parquet"]  # no leftovers


def test_neither_or_both_modes_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--n", "3"])
    assert result.exit_code == 2
    assert "either --fit" in result.output


def test_unknown_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--model", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "error" in result.output


def test_sample_with_a_condition_in_words_prints_what_it_understood(tmp_path: Path) -> None:
    torch.manual_seed(0)
    plant = tmp_path / "plant"
    simulate_to(SimulatorConfig(num_assets=3, days=20, seed=1, fault_rate=60.0, drawings=False), plant)
    model = tmp_path / "model"
    fitted = runner.invoke(
        app, ["--fit", str(plant), "--save", str(model), "--by", "fault,asset_type", *TINY]
    )
    assert fitted.exit_code == 0, fitted.output
    document = json.loads((model / "config.json").read_text())["config"]
    names = document["value_names"]["fault"]  # fault codes -> fault types, from the plant's metadata
    code, fault = next((c, n) for c, n in sorted(names.items()) if c != "0")
    asset_type = dict(document["spec"]["categorical"])["asset_type"][0]
    out = tmp_path / "out"
    text = f"{fault.replace('_', ' ')} on a {asset_type}, please"
    sampled = runner.invoke(app, ["--model", str(model), "--text", text, "--n", "2", "--out", str(out)])
    assert sampled.exit_code == 0, sampled.output
    assert "understood: " in sampled.output and "please" in sampled.output
    assert f"fault={fault!r} (code {code})" in " ".join(sampled.output.split()), (
        sampled.output
    )  # not the bare code
    provenance = pd.read_csv(out / "provenance.csv", keep_default_na=False)
    assert json.loads(provenance["condition"].iloc[0]) == {"fault": code, "asset_type": asset_type}
    assert set(provenance["transferred"]) <= {"", "fault", "asset_type", "fault,asset_type"}


def test_fit_with_texts_then_sample_from_words_the_factors_do_not_name(tmp_path: Path) -> None:
    torch.manual_seed(0)
    plant = tmp_path / "plant"
    simulate_to(SimulatorConfig(num_assets=3, days=20, seed=1, fault_rate=60.0, drawings=False), plant)
    model = tmp_path / "model"
    args = ["--fit", str(plant), "--save", str(model), "--texts", "--window", "48", "--stride", "24", *TINY]
    fitted = runner.invoke(app, args)
    assert fitted.exit_code == 0, fitted.output
    assert " with text, factors none)" in " ".join(fitted.output.split())
    with_text = int(" ".join(fitted.output.split()).split(" windows, ")[1].split(" with text")[0])
    longer = runner.invoke(app, [*args, "--text-reach", "72"])  # reports also cover the 3 days before them
    assert longer.exit_code == 0, longer.output
    assert int(" ".join(longer.output.split()).split(" windows, ")[1].split(" with text")[0]) > with_text
    out = tmp_path / "out"
    text = "pump noisy, grinding at the drive end"
    args = ["--model", str(model), "--text", text, "--n", "2", "--out", str(out), "--guidance", "2"]
    sampled = runner.invoke(app, args)
    assert sampled.exit_code == 0, sampled.output
    said = " ".join(sampled.output.split())
    assert "reads the text itself (hashing-256 embedding)" in said
    assert "closest training texts (cosine similarity): '" in said
    provenance = pd.read_csv(out / "provenance.csv", keep_default_na=False)
    assert list(provenance["text"]) == [text, text] and list(provenance["condition"]) == ["{}", "{}"]
    assert list(provenance["guidance"]) == [2.0, 2.0]


def test_a_model_without_texts_refuses_words_it_cannot_match(tmp_path: Path) -> None:
    torch.manual_seed(0)
    plant = tmp_path / "plant"
    simulate_to(SimulatorConfig(num_assets=2, days=4, seed=0, fault_rate=24.0, drawings=False), plant)
    model = tmp_path / "model"
    fitted = runner.invoke(app, ["--fit", str(plant), "--save", str(model), "--by", "fault", *TINY])
    assert fitted.exit_code == 0, fitted.output
    args = ["--model", str(model), "--text", "a quiet day", "--out", str(tmp_path / "o")]
    sampled = runner.invoke(app, args)
    assert sampled.exit_code == 2 and "no known condition in 'a quiet day'" in sampled.output


def test_fit_on_one_series_file_and_a_clear_error_for_an_unknown_source(tmp_path: Path) -> None:
    torch.manual_seed(0)
    rows = [
        f"2024-01-01 {h // 60:02d}:{h % 60:02d};{h % 7},5;{h % 3};{int(h >= 720)}"
        for h in range(0, 24 * 60, 15)
    ]
    csv = tmp_path / "pump.csv"
    csv.write_text("time;flow;load;anomaly\n" + "\n".join(rows) + "\n")
    model = tmp_path / "model"
    args = ["--fit", str(csv), "--save", str(model), "--window", "8", "--stride", "4", *TINY]
    fitted = runner.invoke(app, args)
    assert fitted.exit_code == 0, fitted.output
    assert "(23 windows, factors none)" in " ".join(fitted.output.split())  # 96 rows, 8 every 4 steps
    by_label = runner.invoke(app, [*args, "--by", "anomaly"])  # the label column is a factor, not a channel
    assert by_label.exit_code == 0 and "factors ['anomaly']" in by_label.output, by_label.output
    out = tmp_path / "out"
    sampled = runner.invoke(
        app, ["--model", str(model), "--condition", "anomaly=1", "--n", "2", "--out", str(out)]
    )
    assert sampled.exit_code == 0, sampled.output
    assert (pd.read_csv(out / "samples.csv")["load"] >= 0).all()  # 0, 1, 2 in training: floored at 0
    assert "never negative in the training data, floored at 0: load" in " ".join(sampled.output.split())
    assert list(pd.read_csv(out / "samples.csv").columns) == [
        "synthetic",
        "sample_id",
        "step",
        "flow",
        "load",
    ]
    parquet = runner.invoke(
        app, ["--model", str(model), "--n", "2", "--out", str(out), "--format", "parquet"]
    )  # the same folder again: the earlier CSV samples would no longer match provenance.csv
    assert parquet.exit_code == 0, parquet.output
    assert (out / "samples.parquet").exists() and not (out / "samples.csv").exists()
    assert "removed" in parquet.output
    unknown = runner.invoke(app, ["--fit", "no_such_set", "--save", str(model)])
    assert unknown.exit_code == 2
    assert "'no_such_set' is neither a folder nor a registered data set" in " ".join(unknown.output.split())


def test_fit_on_one_file_leaves_a_text_column_out(tmp_path: Path) -> None:
    rows = [
        f"2024-01-01 {h // 60:02d}:{h % 60:02d},{h % 7},{'ok' if h % 2 else 'check'}"
        for h in range(0, 1440, 15)
    ]
    csv = tmp_path / "noted.csv"
    csv.write_text("time,flow,note\n" + "\n".join(rows) + "\n")
    args = ["--fit", str(csv), "--save", str(tmp_path / "m"), "--window", "8", "--stride", "4", *TINY]
    fitted = runner.invoke(app, args)
    assert fitted.exit_code == 0, fitted.output


def test_fit_on_a_folder_of_series_sampled_at_different_steps_warns(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    (folder / "series").mkdir(parents=True)
    for name, freq in (("P-1", "10min"), ("P-2", "h")):
        times = pd.date_range("2024-01-01", periods=96, freq=freq)
        pd.DataFrame({"time": times, "flow": np.arange(96.0) % 7}).to_csv(
            folder / "series" / f"{name}.csv", index=False
        )
    args = ["--fit", str(folder), "--save", str(tmp_path / "m"), "--window", "8", "--stride", "4", *TINY]
    fitted = runner.invoke(app, args)
    message = " ".join(fitted.output.split())
    assert fitted.exit_code == 0, fitted.output
    assert "sampled at different steps (P-1 every 0 days 00:10:00; P-2 every 0 days 01:00:00)" in message
    assert "[/]" not in message


def test_a_regime_every_window_touches_is_explained_with_the_values_left_out(tmp_path: Path) -> None:
    times = pd.date_range("2024-01-01", periods=96, freq="h")
    status = np.where(times.hour < 20, "RUN", "STANDBY")  # four standby hours a day
    csv = tmp_path / "fan.csv"
    pd.DataFrame({"time": times, "flow": np.arange(96.0) % 5, "status": status}).to_csv(csv, index=False)
    args = ["--fit", str(csv), "--save", str(tmp_path / "m"), "--by", "status", "--window", "24", *TINY]
    message = " ".join(runner.invoke(app, args).output.split())
    assert "factor 'status' takes one value (STANDBY)" in message
    assert "the series also hold RUN, but every window of 24 steps has a step of STANDBY" in message


def test_fit_names_a_channel_without_any_reading(tmp_path: Path) -> None:
    rows = [f"2024-01-01 {h:02d}:00,{h % 5}," for h in range(24)]
    csv = tmp_path / "pump.csv"
    csv.write_text("time,flow,dead\n" + "\n".join(rows) + "\n")
    args = ["--fit", str(csv), "--save", str(tmp_path / "model"), "--window", "8", "--stride", "4", *TINY]
    fitted = runner.invoke(app, args)
    assert fitted.exit_code == 2 and "'dead' has none" in fitted.output


def test_fit_on_a_file_too_short_for_one_window_names_the_file(tmp_path: Path) -> None:
    csv = tmp_path / "short.csv"
    csv.write_text("time,flow\n" + "\n".join(f"2024-01-01 {h:02d}:00,{h}" for h in range(11)) + "\n")
    args = ["--fit", str(csv), "--save", str(tmp_path / "model"), "--window", "24", *TINY]
    fitted = runner.invoke(app, args)
    message = " ".join(fitted.output.split())
    assert fitted.exit_code == 2 and "short.csv: no series has 24 steps for one window" in message


def _coded_model(folder: Path) -> Path:
    """A tiny saved synthesizer with a coded factor (fault 2 = seal_leak) and an integer one."""
    windows = np.random.default_rng(0).standard_normal((12, 4, 2)).astype(np.float32)
    conditions = [{"fault": str(i % 3), "age_years": ("5", "22")[i % 2]} for i in range(12)]
    config = apply_overrides(SynthConfig(patch_len=2, calibration="none"), list(SETTINGS))
    names = {"fault": {"0": "normal", "1": "bearing_wear", "2": "seal_leak"}}
    Synthesizer(config).fit(windows, conditions, value_names=names).save(folder)
    return folder


def test_two_runs_with_one_seed_give_the_same_samples_under_distinct_ids(tmp_path: Path) -> None:
    model = _coded_model(tmp_path / "model")
    runs = []
    for out in (tmp_path / "a", tmp_path / "b"):
        args = ["--model", str(model), "--condition", "fault=seal_leak", "--n", "2", "--seed", "7"]
        result = runner.invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
        runs.append((pd.read_csv(out / "samples.csv"), pd.read_csv(out / "provenance.csv")))
    (first, made), (second, again) = runs
    channels = ["step", "channel_0", "channel_1"]
    pd.testing.assert_frame_equal(first[channels], second[channels])  # reproducible from the seed
    assert not set(first["sample_id"]) & set(second["sample_id"])  # merged, still told apart
    assert made["run"].nunique() == 1 and made["run"].iloc[0] != again["run"].iloc[0]
    assert all(made["run"].iloc[0] in sample for sample in made["sample_id"])
    assert set(made.columns) >= {"sample_id", "run", "model", "seed", "condition"}
    assert made["seed"].tolist() == [7, 7] and made["condition"].iloc[0] == '{"fault": "2"}'


def test_options_of_the_other_mode_are_refused_by_name(tmp_path: Path) -> None:
    model = tmp_path / "missing"  # refused before the model is read
    args = ["--model", str(model), "--by", "fault", "--window", "48", "--set", "train.max_steps=5"]
    sampled = runner.invoke(app, args)
    assert sampled.exit_code == 2
    assert "--by, --window, --set only apply with --fit" in sampled.output
    assert "Traceback" not in sampled.output
    fitted = runner.invoke(app, ["--fit", "plant", "--save", str(tmp_path / "m"), "--seed", "3", "--n", "5"])
    assert fitted.exit_code == 2
    assert "--n, --seed only apply when sampling" in fitted.output
    assert "train.seed" in fitted.output


def test_an_unknown_value_lists_the_codes_with_their_names_and_the_closest(tmp_path: Path) -> None:
    model = _coded_model(tmp_path / "model")
    args = ["--model", str(model), "--n", "2", "--out", str(tmp_path / "o"), "--condition"]
    leak = runner.invoke(app, [*args, "fault=leakk"])
    assert leak.exit_code == 2
    assert "0 (normal), 1 (bearing_wear), 2 (seal_leak)" in leak.output
    assert "closest: 2 (seal_leak)" in leak.output
    age = runner.invoke(app, [*args, "age_years=10"])
    assert age.exit_code == 2
    assert "whole numbers" in age.output and "takes: 5, 22; closest: 5" in age.output
    assert not (tmp_path / "o").exists()
    one = runner.invoke(app, ["--model", str(model), "--by", "fault"])
    assert one.exit_code == 2 and "--by only applies with --fit" in one.output
