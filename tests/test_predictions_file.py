"""The run's predictions table: nine significant digits (the LSTM's outputs are float32, about seven), and gzip
compression once it would pass ``PLAIN_CSV_MAX_ROWS`` rows (the exchange-rate benchmark wrote 2.9 GB of plain
CSV for its four horizons). Every reader goes through ``read_predictions``."""
import numpy as np
import pandas as pd
import pytest

from tests import demo_domain


def test_floats_are_written_with_nine_significant_digits_and_ints_unchanged(tmp_path):
    from common.experiment import read_predictions, write_predictions

    frame = pd.DataFrame({"sample": [0, 1], "position": [0, 0], "target": ["y", "y"],
                          "y_true": [1 / 3, 123456.789012345], "lstm_seed0": [np.float32(0.1), -2e-12]})
    path = write_predictions(frame, tmp_path)
    assert path == tmp_path / "predictions.csv"
    text = path.read_text()
    assert "0.333333333," in text and "123456.789," in text and "0.333333333333" not in text
    assert "0.100000001" in text and "-2e-12" in text  # a float32 value to the digits that tell it apart
    back = read_predictions(tmp_path)
    assert list(back["sample"]) == [0, 1] and back["sample"].dtype.kind == "i"
    np.testing.assert_allclose(back[["y_true", "lstm_seed0"]], frame[["y_true", "lstm_seed0"]], rtol=5e-9)


def test_a_missing_predictions_table_is_named(tmp_path):
    from common.experiment import read_predictions

    with pytest.raises(FileNotFoundError, match="predictions.csv"):
        read_predictions(tmp_path)


@pytest.mark.slow
def test_a_large_table_is_written_gzip_compressed_and_a_rerun_leaves_one_file(tmp_path, monkeypatch):
    pytest.importorskip("keras")
    import common.experiment as experiment
    from common.config import apply_overrides
    from common.reproduce import reproduce_run

    cfg = apply_overrides(demo_domain.DOMAIN.smoke_config(), {"out": str(tmp_path), "training.epochs": 1,
                                                              "training.seeds": 2})
    monkeypatch.setattr(experiment, "PLAIN_CSV_MAX_ROWS", 10)
    run = experiment.run_experiment(cfg, demo_domain.DOMAIN, run_name="big", log=lambda m: None).run_dir
    assert (run / "predictions.csv.gz").is_file() and not (run / "predictions.csv").exists()
    frame = experiment.read_predictions(run)
    assert len(frame) > 10 and {"y_true", "lstm_seed0", "lstm_seed1", "lstm_ensemble"} <= set(frame)
    res = reproduce_run(run, domain=demo_domain.DOMAIN, log=lambda m: None)
    assert res.reproduced, res.problems
    edited = frame.assign(lstm_seed1=frame["lstm_seed1"] + 1.0)  # as if the file had been edited since
    edited.to_csv(run / "predictions.csv.gz", index=False)
    res = reproduce_run(run, domain=demo_domain.DOMAIN, log=lambda m: None)
    assert not res.reproduced and any(p.startswith("predictions.csv.gz column lstm_seed1") for p in res.problems)
    monkeypatch.setattr(experiment, "PLAIN_CSV_MAX_ROWS", 10**9)
    again = experiment.run_experiment(cfg, demo_domain.DOMAIN, run_name="big", log=lambda m: None).run_dir
    assert again == run and (run / "predictions.csv").is_file() and not (run / "predictions.csv.gz").exists()
    assert reproduce_run(run, domain=demo_domain.DOMAIN, log=lambda m: None).reproduced
