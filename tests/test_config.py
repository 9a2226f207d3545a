import pytest

from common.config import (ConfigError, ModelSpec, RunConfig, apply_overrides, option, load_config, parse_override,
                           save_config, validate_options)


def write(tmp_path, text):
    p = tmp_path / "run.toml"
    p.write_text(text)
    return p


def test_file_round_trip(tmp_path):
    cfg = RunConfig(domain="demo", model=ModelSpec(units=(8, 4), bidirectional=True), data={"n": 500})
    save_config(cfg, tmp_path / "c.toml")
    assert load_config(tmp_path / "c.toml") == cfg


def test_unknown_key_names_key_and_file(tmp_path):
    p = write(tmp_path, 'domain = "demo"\n[model]\nunitz = [8]\n')
    with pytest.raises(ConfigError, match=r"run\.toml.*model\.unitz"):
        load_config(p)


def test_wrong_type_names_key_and_file(tmp_path):
    p = write(tmp_path, 'domain = "demo"\n[training]\nepochs = "ten"\n')
    with pytest.raises(ConfigError, match=r"run\.toml: training\.epochs: expected an integer"):
        load_config(p)


def test_bad_literal_and_missing_domain(tmp_path):
    with pytest.raises(ConfigError, match="model.cell: 'transformer' is not one of"):
        load_config(write(tmp_path, 'domain = "demo"\n[model]\ncell = "transformer"\n'))
    with pytest.raises(ConfigError, match=r"run\.toml: no 'domain' key \(a config file names its domain"):
        load_config(write(tmp_path, '[model]\ncell = "gru"\n'))


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "domain = \n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r": a folder, not a config file"):  # was IsADirectoryError
        load_config(tmp_path)
    (tmp_path / "latin1.toml").write_bytes(b'domain = "demo" # caf\xe9\n')
    with pytest.raises(ConfigError, match=r"latin1\.toml: not a UTF-8 text file"):
        load_config(tmp_path / "latin1.toml")
    (tmp_path / "bom.toml").write_bytes(b'\xef\xbb\xbfdomain = "demo"\n[training]\nepochs = 3\n')  # Notepad's BOM
    assert load_config(tmp_path / "bom.toml").training.epochs == 3


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_a_number_that_is_not_finite_is_a_config_error(tmp_path, value):
    """Before: learning_rate = inf trained until TerminateOnNaN stopped the first epoch."""
    with pytest.raises(ConfigError, match=rf"run\.toml: model\.learning_rate: expected a finite number, got {value}"):
        load_config(write(tmp_path, f'domain = "demo"\n[model]\nlearning_rate = {value}\n'))
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Fraction:
        fraction: float = 0.5

    with pytest.raises(ConfigError, match=r"data\.fraction: expected a finite number"):
        validate_options(Fraction, {"fraction": float(value)}, "demo")


def test_overrides_beat_file_values(tmp_path):
    p = write(tmp_path, 'domain = "demo"\n[training]\nepochs = 10\n')
    cfg = load_config(p, {"training.epochs": 2, "model.units": [3]})
    assert cfg.training.epochs == 2 and cfg.model.units == (3,)
    with pytest.raises(ConfigError, match="unknown key training.epoch"):
        apply_overrides(cfg, {"training.epoch": 1})


def test_an_unknown_override_lists_the_known_keys_and_the_closest_one():
    """Before: 'unknown key training.learning_rate', without the keys there are (a file's unknown key listed them)."""
    cfg = RunConfig(domain="demo")
    with pytest.raises(ConfigError, match=r"unknown key training.learning_rate \(did you mean model.learning_rate\? "
                                          r"known keys here: .*batch_size.*epochs"):
        apply_overrides(cfg, {"training.learning_rate": 0.1})
    with pytest.raises(ConfigError, match=r"unknown key training.epoch \(did you mean training.epochs\?"):
        apply_overrides(cfg, {"training.epoch": 1})
    with pytest.raises(ConfigError, match=r"unknown key trainig.epochs \(did you mean training.epochs\? known "
                                          r"sections: .*model.*training"):
        apply_overrides(cfg, {"trainig.epochs": 1})


def test_an_unknown_key_in_a_config_file_names_the_nearest_known_key(tmp_path):
    """Before: 'unknown key training.learning_rate (known keys here: ...)', though the key exists under [model]."""
    p = write(tmp_path, 'domain = "demo"\n[training]\nlearning_rate = 0.01\n')
    with pytest.raises(ConfigError, match=r"run.toml: unknown key training.learning_rate \(did you mean "
                                          r"model.learning_rate\? known keys here: "):
        load_config(p)
    p = write(tmp_path, 'domain = "demo"\n[modle]\nunits = [8]\n')
    with pytest.raises(ConfigError, match=r"run.toml: unknown key modle \(did you mean model\? known sections: "):
        load_config(p)


def test_parse_override_reads_toml_values():
    assert parse_override("model.units=[32, 32]") == ("model.units", [32, 32])
    assert parse_override("model.cell=gru") == ("model.cell", "gru")
    assert parse_override("model.dropout=0.2") == ("model.dropout", 0.2)
    with pytest.raises(ConfigError):
        parse_override("nonsense")


def test_spec_checks_values():
    with pytest.raises(ConfigError, match="model.dropout"):
        ModelSpec(dropout=1.5)
    with pytest.raises(ConfigError, match="Conv1D"):
        ModelSpec(masking=True, conv_filters=8)
    with pytest.raises(ConfigError, match="quantiles"):
        ModelSpec(quantiles=(0.9, 0.1))
    with pytest.raises(ConfigError, match="model.ema"):
        ModelSpec(ema=1.0)


def test_cudnn_eligibility_flag():
    assert ModelSpec().cudnn_eligible
    assert not ModelSpec(recurrent_dropout=0.1).cudnn_eligible
    assert not ModelSpec(cell="simple_rnn").cudnn_eligible


def test_domain_options_are_strict():
    from tests.demo_domain import DemoOptions

    assert validate_options(DemoOptions, {"n": 400}, "demo").n == 400
    with pytest.raises(ConfigError, match=r"domain demo: unknown key data.lookbak \(did you mean data.lookback\? "
                                          r"known keys here: "):
        validate_options(DemoOptions, {"lookbak": 3}, "demo")


def test_domain_number_options_refuse_negatives_unless_the_field_allows_them():
    import dataclasses

    from domains.genomics.domain import DOMAIN as GENOMICS
    from domains.social.domain import DOMAIN as SOCIAL

    @dataclasses.dataclass(frozen=True)
    class Opts:
        window: int = 30
        fraction: float = 0.2
        sentinel: int = option(-1, min=-1)
        share: float = option(0.5, max=0.9)

    assert validate_options(Opts, {"window": 0, "fraction": 0.0, "sentinel": -1}, "demo").sentinel == -1
    with pytest.raises(ConfigError, match=r"domain demo: data.window: must be >= 0, not -3"):
        validate_options(Opts, {"window": -3}, "demo")
    with pytest.raises(ConfigError, match=r"data.fraction: must be >= 0, not -0.5"):
        validate_options(Opts, {"fraction": -0.5}, "demo")
    with pytest.raises(ConfigError, match=r"data.sentinel: must be >= -1, not -2"):
        validate_options(Opts, {"sentinel": -2}, "demo")
    with pytest.raises(ConfigError, match=r"data.share: must be <= 0.9, not 1.0"):
        validate_options(Opts, {"share": 1.0}, "demo")
    # the real options: a negative length used to reach numpy ("negative dimensions are not allowed")
    with pytest.raises(ConfigError, match=r"domain genomics: data.max_length: must be >= 0, not -3"):
        validate_options(GENOMICS.options, {"max_length": -3}, "genomics")
    assert validate_options(SOCIAL.options, {"refit_every": -1}, "social").refit_every == -1
    with pytest.raises(ConfigError, match=r"domain genomics: data.generated_length: must be >= 120, not 0"):
        validate_options(GENOMICS.options, {"generated_length": 0}, "genomics")



@pytest.mark.parametrize("key,value", [("model.head_units", -3), ("model.clipnorm", -1.0), ("training.seed", -5),
                                       ("training.seed", 2**32)])
def test_values_that_ended_in_a_keras_or_numpy_traceback_are_config_errors(key, value):
    """Before: 'Received an invalid value for `units`' from Keras (head_units=-3), 'Seed must be between 0 and
    2**32 - 1' from numpy (seed=-5), and a negative clipnorm reached the optimizer."""
    from tests.demo_domain import DOMAIN

    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        apply_overrides(DOMAIN.smoke_config(), {key: value})


@pytest.mark.parametrize("domain, key, value", [
    ("social", "columns", ["a", "b", "a"]), ("engineering", "sensors", ["s2", "s3", "s2"]),
    ("environmental", "inputs", ["prcp", "prcp"]), ("environmental", "basins", ["01022500", "01022500"]),
    ("environmental", "test_stations", ["Aotizhongxin", "Aotizhongxin"]), ("genomics", "fasta_train", ["a.fa", "a.fa"]),
])
def test_a_list_option_naming_an_entry_twice_is_an_error(domain, key, value):
    """Before: a repeated channel, sensor, forcing input or basin was used twice (the model saw a duplicated
    input column, the basin's samples counted double) without a word."""
    from domains import get_domain

    with pytest.raises(ConfigError, match=rf"domain {domain}: data.{key} names '{value[0]}' twice"):
        validate_options(get_domain(domain).options, {key: value}, domain)


def test_file_labels_may_repeat_a_label():
    from domains.genomics.domain import DOMAIN as GENOMICS

    opts = validate_options(GENOMICS.options, {"file_labels": ["enh", "enh", "bg"]}, "genomics")
    assert opts.file_labels == ("enh", "enh", "bg")


def test_a_number_where_text_is_expected_says_to_quote_it():
    """Before: `--set data.basins=[1022500]` said only "expected str, got int 1022500": TOML read the id as a
    number (and a number has no leading zero to keep)."""
    from domains import get_domain

    with pytest.raises(ConfigError, match=r'data.basins\[0\]: expected str, got int 1022500: write it in quotes '
                                          r'\("1022500"; an id keeps its leading zeros only in quotes\)'):
        validate_options(get_domain("environmental").options, {"basins": [1022500]}, "environmental")
    with pytest.raises(ConfigError, match=r'data.target: expected str, got float 2.5: write it in quotes \("2.5"'):
        validate_options(get_domain("social").options, {"target": 2.5}, "social")


def test_option_comments_are_read_from_the_options_class_source():
    """The comment lines above a field and the comment after it, joined: what ``lstm-suite config`` prints."""
    from common.config import option_comments
    from domains.genomics.domain import GenomicsOptions

    notes = option_comments(GenomicsOptions)
    assert notes["rc_augment"] == "add reverse complements to the LSTM's training data"
    assert notes["long_range_length"].startswith("the long-range task's longest sequence; its shortest is a quarter")
    assert notes["label_csv"] == "... or an id,label CSV ..."
    assert notes["fasta_test"] == "optional; without it a stratified 20% of fasta_train is held out"
    assert "seed" in notes and "layer" in notes and "datasets an option applies to" not in notes["layer"]
