"""The Synthesizer task: contract, conditions (seen, unseen, unknown, free text), save/load, learning."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from moesaic.config import ConfigError
from moesaic.encoders import EncoderConfig, NotFittedError
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.synth.conditions import ConditionSpec, parse_condition
from moesaic.tasks.synth.config import SynthConfig
from moesaic.tasks.synth.generators import SeriesFlow
from moesaic.tasks.synth.synthesizer import Synthesizer
from moesaic.tasks.synth.trunk import drop_conditions
from moesaic.train import TrainConfig


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


def tiny(design: str = "flow", steps: int = 5) -> SynthConfig:
    model = ModelConfig(
        encoders=EncoderConfig(dim=16, modalities=("tabular",)),
        moe=MoEConfig(num_experts=2, top_k=1, expert_hidden=16),
        num_layers=1,
        num_heads=2,
    )
    train = TrainConfig(
        lr=5e-3, max_steps=steps, batch_size=32, eval_every=steps, num_threads=1, log_every=steps
    )
    return SynthConfig(design=design, steps=4, patch_len=2, model=model, train=train)


def fault_windows(count: int = 64) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Leak windows sit near +1, normal ones near -1; pumps and fans both appear, but never a fan leak."""
    rng = np.random.default_rng(0)
    conditions: list[dict[str, object]] = []
    windows = np.empty((count, 4, 2), dtype=np.float32)
    for i in range(count):
        fault = "leak" if i % 2 else "none"
        asset = "pump" if fault == "leak" or i % 4 == 0 else "fan"
        conditions.append({"fault": fault, "asset": asset, "severity": float(i % 5) / 4})
        level = 1.0 if fault == "leak" else -1.0
        windows[i] = level + 0.1 * rng.standard_normal((4, 2))
    return windows, conditions


def test_when_sampling_before_fit_then_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Synthesizer(tiny()).sample(3)


def test_config_reports_every_problem() -> None:
    with pytest.raises(ConfigError, match="design") as err:
        SynthConfig(design="gan", steps=0)
    assert "steps" in str(err.value)


@pytest.mark.parametrize("design", ["flow", "vae"])
def test_fit_returns_self_and_samples_have_shape_masks_and_conditions(design: str) -> None:
    windows, conditions = fault_windows()
    synth = Synthesizer(tiny(design))
    assert synth.fit(windows, conditions) is synth
    out = synth.sample(5, condition={"fault": "leak", "severity": 0.5})
    assert out.series.shape == (5, 4, 2) and out.observed.all() and np.isfinite(out.series).all()
    assert out.conditions == [{"fault": "leak", "severity": 0.5}] * 5
    assert synth.sample(3).series.shape == (3, 4, 2)  # unconditional
    assert synth.nfe_per_sample == (4 if design == "flow" else 1)


def test_unseen_combination_is_accepted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    windows, conditions = fault_windows()
    synth = Synthesizer(tiny()).fit(windows, conditions)
    with caplog.at_level(logging.INFO, logger="moesaic.tasks.synth.synthesizer"):
        out = synth.sample(2, condition={"fault": "leak", "asset": "fan"})
    assert out.series.shape == (2, 4, 2)
    assert "never seen in training" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="moesaic.tasks.synth.synthesizer"):
        synth.sample(2, condition={"fault": "leak"})  # a part of seen combinations
    assert "never seen in training" not in caplog.text


def test_unknown_factor_or_value_is_refused_with_the_known_ones() -> None:
    windows, conditions = fault_windows()
    synth = Synthesizer(tiny()).fit(windows, conditions)
    refused = r"fault='fire' was never seen in training; 'fault' takes: leak, none$"
    with pytest.raises(ValueError, match=refused):
        synth.sample(2, condition={"fault": "fire"})
    with pytest.raises(ValueError, match="unknown condition factor 'colour'"):
        synth.sample(2, condition={"colour": "red"})
    with pytest.raises(ValueError, match="is numeric"):
        synth.sample(2, condition={"severity": "high"})
    assert synth.sample(1, condition={"Fault": "leak"}).conditions == [{"fault": "leak"}]
    with pytest.raises(ValueError, match="names factor 'fault' twice"):
        synth.sample(1, condition={"Fault": "leak", "fault": "none"})


def test_window_length_must_be_a_multiple_of_the_patch() -> None:
    with pytest.raises(ValueError, match="multiple of patch_len=2"):
        Synthesizer(tiny()).fit(np.zeros((8, 5, 1), dtype=np.float32))


def test_save_load_reproduces_samples(tmp_path: Path) -> None:
    windows, conditions = fault_windows()
    synth = Synthesizer(tiny()).fit(windows, conditions)
    synth.save(tmp_path / "m")
    loaded = Synthesizer.load(tmp_path / "m")
    a = synth.sample(4, condition={"fault": "leak"}, seed=3).series
    b = loaded.sample(4, condition={"fault": "leak"}, seed=3).series
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_condition_steers_the_samples_after_training() -> None:
    windows, conditions = fault_windows()
    config = tiny("flow", steps=120)
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=64))
    synth = Synthesizer(config).fit(windows, conditions)
    leak = synth.sample(64, condition={"fault": "leak"}, seed=1).series.mean()
    normal = synth.sample(64, condition={"fault": "none"}, seed=1).series.mean()
    assert leak - normal > 1.0  # the training levels differ by 2


def test_parse_condition_and_spec_roundtrip() -> None:
    assert parse_condition("fault=leak, severity=0.7") == {"fault": "leak", "severity": 0.7}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_condition("fault")
    with pytest.raises(ValueError, match="factor 'Anomaly' is given twice"):
        parse_condition("Anomaly=1, Anomaly=0")
    spec = ConditionSpec.fit([{"fault": "3", "load": 1.0}, {"fault": "4", "load": 3.0}])
    encoded = spec.encode([{"fault": 3.0}, {"load": 2.0}])
    assert encoded.categorical.tolist() == [[1], [0]]
    assert encoded.numeric_observed.tolist() == [[False], [True]]
    assert encoded.numeric[1, 0].item() == pytest.approx(0.0)


def test_a_numeric_condition_far_outside_training_is_flagged(caplog: pytest.LogCaptureFixture) -> None:
    spec = ConditionSpec.fit([{"load": 0.0}, {"load": 1.0}, {"load": 2.0}])
    with caplog.at_level(logging.WARNING, logger="moesaic.tasks.synth.conditions"):
        spec.encode([{"load": 2.5}])  # near the training values: no warning
        assert not caplog.text
        spec.encode([{"load": 1.5}, {"load": 1e6}])
    assert "condition load=1e+06 lies" in caplog.text and "the samples extrapolate" in caplog.text


@pytest.mark.parametrize(("power", "expected"), [(1.0, 0.25), (2.0, 0.1875)])
def test_flow_sampling_takes_its_euler_steps_on_the_power_grid(power: float, expected: float) -> None:
    """With the velocity equal to the flow time, two Euler steps add sum((s1 - s0) * s0) over the grid."""
    flow = SeriesFlow(tiny().model, length=4, channels=2, patch=2, steps=2, condition_dropout=0.0,
                      grid_power=power)  # fmt: skip
    flow.velocity = lambda x, s, conditions: (s[:, None, None].expand_as(x), torch.zeros(()))  # type: ignore[method-assign]
    torch.manual_seed(0)
    noise = torch.randn(3, 4, 2)
    torch.manual_seed(0)
    out = flow.sample(None, count=3, length=4)
    torch.testing.assert_close(out - noise, torch.full((3, 4, 2), expected))


def test_a_checkpoint_saved_before_the_grid_setting_samples_on_the_even_grid(tmp_path: Path) -> None:
    windows, conditions = fault_windows()
    Synthesizer(tiny()).fit(windows, conditions).save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    document = json.loads(path.read_text())
    assert document["config"]["synth"].pop("grid_power") == 2.0
    path.write_text(json.dumps(document))
    loaded = Synthesizer.load(tmp_path / "m")
    assert loaded.config.grid_power == loaded.model_.grid_power == 1.0


def test_grid_power_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="grid_power"):
        SynthConfig(grid_power=0.0)


def test_calibrated_synthesizer_gets_the_channel_correlation_right() -> None:
    """A flow trained a few steps mixes up two strongly correlated channels; calibration repairs it."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((512, 4, 1))
    windows = np.concatenate([base, 0.95 * base + 0.3 * rng.standard_normal((512, 4, 1))], axis=2)
    truth = np.corrcoef(windows.reshape(-1, 2).T)[0, 1]
    correlations = {}
    for setting in ("none", "auto"):
        config = dataclasses.replace(tiny(steps=10), calibration=setting)
        synth = Synthesizer(config).fit(windows.astype(np.float32))
        assert hasattr(synth.model_, "calibration") == (setting == "auto")
        sample = synth.sample(2000, seed=5).series.reshape(-1, 2)
        correlations[setting] = np.corrcoef(sample.T)[0, 1]
    assert abs(correlations["none"] - truth) > 0.2
    assert correlations["auto"] == pytest.approx(truth, abs=0.05)


def test_a_wider_scope_than_the_data_allow_is_refused() -> None:
    windows, _ = fault_windows(16)  # 16 windows of 4 x 2 values: too few for whole windows
    config = dataclasses.replace(tiny(), calibration="window")
    with pytest.raises(ValueError, match="calibration='window' needs more complete training windows"):
        Synthesizer(config).fit(windows)


def test_save_load_keeps_the_calibration_and_old_checkpoints_load_without_one(tmp_path: Path) -> None:
    windows, conditions = fault_windows()
    synth = Synthesizer(tiny()).fit(windows, conditions)
    synth.save(tmp_path / "new")
    loaded = Synthesizer.load(tmp_path / "new")
    torch.testing.assert_close(loaded.model_.calibration.transport, synth.model_.calibration.transport)

    Synthesizer(dataclasses.replace(tiny(), calibration="none")).fit(windows, conditions).save(
        tmp_path / "old"
    )
    path = tmp_path / "old" / "config.json"
    document = json.loads(path.read_text())
    document["config"]["synth"].pop("calibration")
    path.write_text(json.dumps(document))
    old = Synthesizer.load(tmp_path / "old")
    assert old.config.calibration == "none" and not hasattr(old.model_, "calibration")


def rare_fault_windows() -> tuple[np.ndarray, list[dict[str, object]]]:
    """48 normal windows of noise around 0 and 3 windows of a fault that lifts channel 0 by 3."""
    rng = np.random.default_rng(1)
    windows = rng.standard_normal((51, 4, 2)).astype(np.float32)
    windows[48:, :, 0] += 3.0
    return windows, [{"fault": "none"}] * 48 + [{"fault": "rare"}] * 3


def test_rare_fault_samples_carry_its_effect_on_new_variability() -> None:
    windows, conditions = rare_fault_windows()
    synth = Synthesizer(tiny()).fit(windows, conditions)
    assert hasattr(synth.model_, "transfer")
    drawn = synth.sample(200, condition={"fault": "rare"}, seed=0)
    samples = drawn.series
    assert drawn.transferred == [("fault",)] * 200
    assert synth.sample(2, condition={"fault": "none"}).transferred == [(), ()]
    assert 2.0 < samples[:, :, 0].mean() < 4.0 and abs(samples[:, :, 1].mean()) < 1.0
    # not copies: a sample is a fresh reference draw plus an effect, so it is not a training window
    nearest = np.abs(samples[:, None] - windows[None, 48:]).max(axis=(2, 3)).min(axis=1)
    assert (nearest > 1e-3).all()
    off = Synthesizer(dataclasses.replace(tiny(), rare_windows=0)).fit(windows, conditions)
    assert not hasattr(off.model_, "transfer")


def test_save_load_keeps_the_transfer_and_old_checkpoints_load_without_one(tmp_path: Path) -> None:
    windows, conditions = rare_fault_windows()
    Synthesizer(tiny()).fit(windows, conditions).save(tmp_path / "new")
    loaded = Synthesizer.load(tmp_path / "new")
    a = loaded.sample(5, condition={"fault": "rare"}, seed=2).series
    np.testing.assert_allclose(
        a, Synthesizer.load(tmp_path / "new").sample(5, {"fault": "rare"}, seed=2).series
    )
    assert loaded.config.rare_windows == 32 and hasattr(loaded.model_, "transfer")

    Synthesizer(dataclasses.replace(tiny(), rare_windows=0)).fit(windows, conditions).save(tmp_path / "old")
    path = tmp_path / "old" / "config.json"
    document = json.loads(path.read_text())
    document["config"]["synth"].pop("rare_windows")
    path.write_text(json.dumps(document))
    old = Synthesizer.load(tmp_path / "old")
    assert old.config.rare_windows == 0 and not hasattr(old.model_, "transfer")


def test_rare_windows_must_not_be_negative() -> None:
    with pytest.raises(ConfigError, match="rare_windows"):
        SynthConfig(rare_windows=-1)


# ---- free text per window ------------------------------------------------------------------

# Two wordings per fault, so the model never sees one text only; the windows without text are healthy.
LEAK = ("seal leaking, puddle under pump", "dripping from mechanical seal")
NOISE = ("bearing noisy and hot", "grinding noise at drive end bearing")


def text_windows(count: int = 96) -> tuple[np.ndarray, list[str]]:
    """Leak windows near +1, bearing windows near -1, healthy windows near 0 with no text."""
    rng = np.random.default_rng(0)
    windows = np.empty((count, 4, 2), dtype=np.float32)
    texts = []
    for i in range(count):
        kind = i % 3
        level = (0.0, 1.0, -1.0)[kind]
        windows[i] = level + 0.1 * rng.standard_normal((4, 2))
        texts.append(("", LEAK[i % 2], NOISE[i % 2])[kind])
    return windows, texts


def fitted(steps: int = 5, **changes: object) -> Synthesizer:
    config = dataclasses.replace(tiny("flow", steps=steps), **changes)  # type: ignore[arg-type]
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=64))
    windows, texts = text_windows()
    return Synthesizer(config).fit(windows, texts=texts)


def test_text_steers_the_samples_after_training() -> None:
    synth = fitted(steps=150)
    leak = synth.sample(64, texts="water dripping from the seal", seed=1).series.mean()
    noise = synth.sample(64, texts="noisy bearing", seed=1).series.mean()
    assert leak - noise > 1.0  # the training levels differ by 2; neither text was seen as such


def test_guidance_strengthens_the_text_and_needs_the_flow() -> None:
    synth = fitted(steps=150)
    leak = "water dripping from the seal"
    plain = synth.sample(64, texts=leak, seed=1).series
    assert np.array_equal(plain, synth.sample(64, texts=leak, seed=1, guidance=1.0).series)
    strong = synth.sample(64, texts=leak, seed=1, guidance=3.0).series
    free = synth.sample(64, seed=1).series.mean()
    assert strong.mean() - free > plain.mean() - free > 0  # leaks sit at +1, the mix of windows near 0
    windows, conditions = fault_windows()
    vae = Synthesizer(tiny("vae")).fit(windows, conditions)
    with pytest.raises(ValueError, match="guidance needs the flow design"):
        vae.sample(2, condition={"fault": "leak"}, guidance=2.0)


def test_samples_carry_their_texts_and_texts_per_sample_are_accepted() -> None:
    synth = fitted()
    out = synth.sample(3, texts=["seal leaking", "", "noisy bearing"])
    assert out.texts == ["seal leaking", "", "noisy bearing"] and out.series.shape == (3, 4, 2)
    assert synth.sample(2).texts == ["", ""]  # text left free: unconditional
    with pytest.raises(ValueError, match="got 1 texts for n=2"):
        synth.sample(2, texts=["seal leaking"])


def test_save_load_reproduces_text_conditioned_samples(tmp_path: Path) -> None:
    synth = fitted()
    synth.save(tmp_path / "m")
    loaded = Synthesizer.load(tmp_path / "m")
    assert loaded.text_embedder_ == "hashing-256"
    a = synth.sample(4, texts="seal leaking", seed=3).series
    b = loaded.sample(4, texts="seal leaking", seed=3).series
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_closest_texts_shows_what_a_request_resembles_and_survives_save_load(tmp_path: Path) -> None:
    synth = fitted()
    assert set(synth.training_texts_) == {*LEAK, *NOISE}  # the distinct texts, blanks left out
    near = synth.closest_texts("noisy bearing, hot", k=2)
    assert [t for t, _ in near] == ["bearing noisy and hot", "grinding noise at drive end bearing"]
    assert 1 >= near[0][1] > near[1][1] > 0
    synth.save(tmp_path / "m")
    assert Synthesizer.load(tmp_path / "m").closest_texts("noisy bearing, hot", k=2) == near
    with pytest.raises(ValueError, match="fitted without texts"):
        Synthesizer(tiny()).fit(text_windows()[0]).closest_texts("noisy")


def test_a_model_without_texts_refuses_one_and_bad_texts_are_refused() -> None:
    windows, texts = text_windows()
    plain = Synthesizer(tiny()).fit(windows)
    with pytest.raises(ValueError, match="fitted without texts"):
        plain.sample(2, texts="seal leaking")
    with pytest.raises(ValueError, match="got 96 windows but 95 texts"):
        Synthesizer(tiny()).fit(windows, texts=texts[:-1])
    with pytest.raises(ValueError, match="every text is empty"):
        Synthesizer(tiny()).fit(windows, texts=[""] * len(windows))
    with pytest.raises(ValueError, match="text 0 is None, expected a string"):
        Synthesizer(tiny()).fit(windows, texts=[None, *texts[1:]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="one string per window"):
        Synthesizer(tiny()).fit(windows, texts="seal leaking")


def test_text_embedder_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="text_embedder"):
        SynthConfig(text_embedder="bert")
    assert fitted(text_embedder="hashing-64").text_embedder_ == "hashing-64"


def test_a_dropped_condition_drops_the_whole_text_row() -> None:
    spec = ConditionSpec(categorical=(("fault", ("a", "b")),))
    encoded = spec.encode([{"fault": "a"}] * 400)._replace(text=torch.ones(400, 8))
    torch.manual_seed(0)
    dropped = drop_conditions(encoded, 0.5)
    rows = dropped.text.abs().sum(dim=1)
    assert set(rows.tolist()) == {0.0, 8.0}  # a text is kept or masked whole
    assert 0.35 < float((rows == 0).float().mean()) < 0.65


def test_a_value_without_one_complete_window_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    windows, conditions = fault_windows()
    mask = np.ones(windows.shape, dtype=bool)
    leaks = [i for i, c in enumerate(conditions) if c["fault"] == "leak"]
    mask[leaks, 0, 0] = False  # every leak window misses one reading
    windows[~mask] = np.nan
    with caplog.at_level(logging.WARNING, logger="moesaic.tasks.synth.synthesizer"):
        Synthesizer(tiny()).fit(windows, conditions, observed=mask)
    assert f"none of the {len(leaks)} windows with fault=leak has every reading" in caplog.text
    assert "fault=none" not in caplog.text


def test_an_unknown_value_is_refused_with_the_values_to_type_and_the_closest() -> None:
    spec = ConditionSpec.fit([{"fault": "0", "age_years": "5"}, {"fault": "2", "age_years": "22"}])
    names = {"fault": {"0": "normal", "2": "seal_leak"}}
    with pytest.raises(
        ValueError, match=r"takes: 0 \(normal\), 2 \(seal_leak\) .*; closest: 2 \(seal_leak\)$"
    ):
        spec.encode([{"fault": "seal_leek"}], names)
    with pytest.raises(ValueError, match=r"\(the code or the name\)$"):  # a number of codes: no nearest
        spec.encode([{"fault": 1.0}], names)
    with pytest.raises(ValueError, match=r"whole numbers in training.*takes: 5, 22; closest: 22$"):
        spec.encode([{"age_years": 20.0}], names)
    named = {"fault": {**names["fault"], "5": "misalignment"}}  # named by the data, never trained
    with pytest.raises(ValueError, match=r"^condition fault=5 \(misalignment\) was never seen in training; "):
        spec.encode([{"fault": "5"}], named)
