"""Reading training logs (fast tier): each format into the same curves, and one clear error for what is not a log."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb.diagnosis import LogError, read_log
from kb.errors import UsageError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_keras_csvlogger(tmp_path):
    log = read_log(
        write(
            tmp_path,
            "training.log",
            "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.0,0.6,0.9\n1,0.7,0.8,0.7,0.85\n2,0.8,0.6,0.72,0.84\n",
        )
    )
    assert log.format == "Keras CSVLogger" and log.x_name == "epoch"
    assert (log.train.name, log.val.name) == ("loss", "val_loss")
    assert log.train_acc.name == "accuracy" and log.val_acc.name == "val_accuracy"
    assert np.allclose(log.val.y, [0.9, 0.85, 0.84]) and np.allclose(log.train.x, [0, 1, 2])


def test_lightning_metrics_csv_with_padded_rows(tmp_path):
    text = (
        "epoch,step,train_loss_step,train_loss_epoch,val_loss\n0,9,0.9,,\n0,19,0.8,,\n0,19,,,0.85\n"
        "0,19,,0.85,\n1,29,0.7,,\n1,39,0.6,,\n1,39,,,0.7\n1,39,,0.65,\n"
    )
    log = read_log(write(tmp_path, "metrics.csv", text))
    assert log.format == "Lightning CSVLogger" and log.x_name == "step"
    assert log.val.name == "val_loss" and list(log.val.y) == [0.85, 0.7]
    assert log.train.name in ("train_loss_step", "train_loss_epoch")


def test_hf_trainer_state_with_a_nan_hidden_by_the_filter(tmp_path):
    state = {
        "log_history": [
            {"loss": 2.0, "grad_norm": 1.0, "step": 10, "epoch": 0.5},
            {"loss": 0.0, "grad_norm": float("nan"), "step": 20, "epoch": 1.0},
            {"eval_loss": 1.5, "step": 20, "epoch": 1.0},
            {"train_runtime": 12.0, "train_loss": 1.0, "step": 20},
        ]
    }
    log = read_log(write(tmp_path, "trainer_state.json", json.dumps(state).replace("NaN", "NaN")))
    assert log.format == "Hugging Face trainer_state.json"
    assert np.isnan(log.train.y[1])  # logged as 0.0, but its gradient norm was nan
    assert log.val.name == "eval_loss"


def test_keras_history_json_and_json_lines(tmp_path):
    log = read_log(write(tmp_path, "history.json", json.dumps({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.8, 0.9]})))
    assert log.format == "Keras History JSON" and list(log.train.x) == [1, 2, 3]
    lines = "\n".join(json.dumps({"step": i, "loss": 1 / (i + 1)}) for i in range(5)) + '\n{"step": 5, "lo'
    assert read_log(write(tmp_path, "log.jsonl", lines)).train.name == "loss"  # a half-written last line is dropped


def test_accuracy_only_logs_are_read_as_error_rates(tmp_path):
    log = read_log(write(tmp_path, "acc.csv", "epoch,acc,val_acc\n1,0.5,0.4\n2,0.6,0.5\n3,0.7,0.55\n"))
    assert log.train.higher_is_better and "error rate" in log.notes[0]


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("empty.csv", "", "empty file"),
        ("numbers.csv", "1,2,3\n4,5,6\n", "no header row"),
        ("broken.json", '{"log_history": [', "not valid JSON"),
        ("other.json", '{"a": 1}', "neither a HF trainer_state.json"),
        ("words.csv", "name,city\nann,paris\n", "no training curve found"),
    ],
)
def test_what_is_not_a_log_is_one_clear_error(tmp_path, name, text, message):
    with pytest.raises(LogError, match=message):
        read_log(write(tmp_path, name, text))


def test_missing_file_and_unknown_column(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_log(tmp_path / "nope.csv")
    path = write(tmp_path, "l.csv", "epoch,loss\n1,1.0\n2,0.9\n")
    with pytest.raises(UsageError, match="--val vloss: no such numeric column"):
        read_log(path, val="vloss")
