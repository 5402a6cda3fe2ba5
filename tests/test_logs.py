"""Reading training logs (fast tier): each format into the same curves, and one clear error for what is not a log."""

from __future__ import annotations

import json
import math

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


def test_a_sparse_lightning_csv_whose_first_rows_are_mostly_empty_is_a_table(tmp_path):
    # ImaJin14/crypto-forecast-thesis: per-step gradient norms, epoch-level losses; the first rows hold 1-3 of 11
    # cells, which once made the CSV look like text ("no training curve found")
    head = "epoch,grad_norm_max,grad_norm_mean,loss_dir,lr-Adam,step,train_loss,val_loss\n,,,,0.001,0,,\n"
    rows = "".join(f"{e},0.08,0.02,,,{10 * e + s},,\n" for e in range(6) for s in range(3))
    rows += "".join(f"{e},,,0.5,,{10 * e + 2},{0.2 - 0.01 * e},{0.4 - 0.02 * e}\n" for e in range(6))
    log = read_log(write(tmp_path, "metrics.csv", head + rows))
    assert log.train.name == "train_loss" and log.val.name == "val_loss" and len(log.val.y) == 6


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


def test_a_hand_made_history_dict_keeps_its_curves_and_skips_its_description(tmp_path):
    run = {"backbone": "EfficientNet-B0", "classes": ["Happy", "Sad"], "phase_starts": [0, 2], "test_acc": 77.6}
    run |= {"train_loss": [0.9, 0.6, 0.5, 0.45], "val_loss": [0.8, 0.7, 0.6, 0.62], "val_acc": [40, 60, 70, 71]}
    log = read_log(write(tmp_path, "training_history.json", json.dumps(run)))
    assert log.format == "JSON dict of per-epoch lists"
    assert (log.train.name, log.val.name, list(log.val.x)) == ("train_loss", "val_loss", [1, 2, 3, 4])
    assert "phase_starts" not in log.columns and "backbone" not in log.columns


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


# ---------------------------------------------------------------- hand-written text logs


def text_log(tmp_path, text, name="train.log"):
    return read_log(write(tmp_path, name, text))


def test_epoch_i_of_n_lines_with_percentages(tmp_path):
    lines = "".join(
        f"Epoch [{e}/5], Train Loss: {1 / e:.3f}, Val Loss: {1.1 / e:.3f}, Val Acc: {70 + e}.5%\n" for e in range(1, 6)
    )
    log = text_log(tmp_path, "Starting training...\n" + lines + "Done.\n")
    assert log.format == "text log" and log.x_name == "epoch"
    assert (log.train.name, log.val.name, log.val_acc.name) == ("train_loss", "val_loss", "val_acc")
    assert list(log.train.x) == [1, 2, 3, 4, 5] and log.val_acc.y[0] == pytest.approx(0.715)  # 71.5% -> 0.715
    assert log.source == "read 5 lines like: Epoch [1/5], Train Loss: 1.000, Val Loss: 1.100, Val Acc: 71.5% (line 2)"


@pytest.mark.parametrize(
    "prefix",
    [
        "2025-06-04 17:36:55,374 - INFO - ",
        "2025-06-04 17:36:55,374 - trainer - INFO - ",
        "INFO:root:",
        "[2025-06-04 17:36:55] [INFO] ",
    ],
)
def test_python_logging_prefixes_are_stripped(tmp_path, prefix):
    lines = "".join(f"{prefix}Epoch {e} - loss: {2 / e:.3f} - val_loss: {2.1 / e:.3f}\n" for e in range(1, 5))
    log = text_log(tmp_path, lines)
    assert (log.train.name, log.val.name) == ("loss", "val_loss") and list(log.train.x) == [1, 2, 3, 4]
    assert "2025" not in log.columns and "info" not in " ".join(log.columns)


def test_counts_with_a_magnitude_suffix_are_read_whole(tmp_path):
    # LeRobot: "step:2K smpl:70K"; "12m" (minutes) is no magnitude
    steps = [400, 800, 2000, 20000, 48000]
    lines = "".join(
        f"INFO 2026-06-12 10:53:24 ot_train.py:357 step:{s if s < 1000 else str(s // 1000) + 'K'} smpl:13K "
        f"loss:{1 / (i + 1):.3f} lr:1.0e-05 eta:12m\n"
        for i, s in enumerate(steps)
    )
    log = text_log(tmp_path, lines)
    assert list(log.train.x) == steps


def test_tqdm_bars_keep_their_last_refresh_per_epoch(tmp_path):
    epochs = []
    for e in range(1, 4):
        refreshes = [
            f"Epoch {e}: {i * 10}%|{'#' * i}{' ' * (10 - i)}| {i * 5}/50 [00:0{i}<00:10, 4.9it/s, loss={1 / e + 0.1 * (10 - i):.3f}, acc={0.5 + e / 10:.2f}]"
            for i in range(1, 11)
        ]
        epochs.append("\r".join(refreshes) + "\n")
    log = text_log(tmp_path, "".join(epochs))
    assert list(log.train.x) == [1, 2, 3]  # one row per epoch: the bar at 50/50
    assert log.train.y == pytest.approx([1.0, 0.5, 1 / 3], abs=1e-3) and log.train_acc.name == "acc"


def test_train_and_val_lines_without_a_role_on_each_key(tmp_path):
    text = "".join(
        f"Epoch {e}\nTrain loss={1 / e:.3f} acc={0.5 + e / 20:.3f}\nVal loss={1.2 / e:.3f} acc={0.5 + e / 25:.3f}\n"
        for e in range(1, 4)
    )
    log = text_log(tmp_path, text)
    assert (log.train.name, log.val.name, log.val_acc.name) == ("train_loss", "val_loss", "val_acc")
    assert list(log.val.x) == [1, 2, 3]


def test_one_print_statement_for_train_and_eval_told_apart_by_a_header_line(tmp_path):
    """AIHHU/PaddleCIFAR10-style: "epoch: e, loss is: x" printed for training and, after a "testing in eval
    mode..." line, for evaluation; the header makes the next line validation's, and only the next."""
    text = "".join(
        f"epoch: {e},  loss is: {1 / e:.3f}, acc is: {0.5 + e / 20:.3f}\ntesting in eval mode...\n"
        f"epoch: {e},  loss is: {1.2 / e:.3f}, acc is: {0.5 + e / 25:.3f}\nNow continue training...\n"
        for e in range(1, 5)
    )
    log = text_log(tmp_path, text)
    assert (log.train.name, log.val.name) == ("loss_is", "val_loss_is")
    assert list(log.train.y) == [1.0, 0.5, 0.333, 0.25] and list(log.val.y) == [1.2, 0.6, 0.4, 0.3]
    plain = "Loading the test set\n" + "".join(f"epoch: {e}, loss is: {1 / e:.3f}\n" for e in range(1, 5))
    assert list(text_log(tmp_path, plain, "plain.log").train.y[:2]) == [1.0, 0.5]  # not a header: no opening word
    event = "".join(f"epoch: {e}, loss is: {1 / e:.3f}\nValidation improved, saving model\n" for e in range(1, 5))
    assert list(text_log(tmp_path, event, "event.log").train.y[:2]) == [1.0, 0.5]  # an event, not a header


def test_pipe_tables_and_key_value_pairs(tmp_path):
    table = "".join(f"epoch {e} | loss {1 / e:.3f} | acc {0.5 + e / 20:.2f}\n" for e in range(1, 6))
    assert list(text_log(tmp_path, table).train.y[:2]) == [1.0, 0.5]
    pairs = "".join(f"step: {s}, lr: 0.001, loss: {3 / s:.3f}\n" for s in range(10, 60, 10))
    log = text_log(tmp_path, pairs, "pairs.log")
    assert log.x_name == "step" and list(log.train.x) == [10, 20, 30, 40, 50] and log.lr.name == "lr"


def test_keras_verbose_output(tmp_path):
    lines = ["Epoch 1/3\n", "19/19 - 12s - loss: 0.9000 - accuracy: 0.5000 - val_loss: 0.9500 - val_accuracy: 0.4800\n"]
    lines += [
        "Epoch 2/3\n",
        "1/19 [>....] - ETA: 9s - loss: 0.80\x08\x08\x08\x0819/19 [=====] - 12s 600ms/step - loss: 0.7000 - accuracy: 0.6000 - val_loss: 0.8000 - val_accuracy: 0.5500\n",
    ]
    lines += [
        "Epoch 3/3\n",
        "19/19 - 11s - loss: 0.6000 - accuracy: 0.7000 - val_loss: 0.7500 - val_accuracy: 0.6000\n",
    ]
    log = text_log(tmp_path, "".join(lines))
    assert list(log.val.x) == [1, 2, 3] and list(log.val.y) == [0.95, 0.8, 0.75]
    assert list(log.train.y) == [0.9, 0.7, 0.6]  # the bar's last refresh (19/19), not its running value at 1/19


def test_printed_trainer_dicts(tmp_path):
    text = "\n".join(
        [
            "{'loss': 0.9, 'grad_norm': 1.5, 'learning_rate': 5e-05, 'epoch': 0.5}",
            "{'eval_loss': 0.8, 'eval_accuracy': 0.7, 'eval_runtime': 2.0, 'epoch': 1.0}",
            "{'loss': 0.6, 'grad_norm': 1.1, 'learning_rate': 2.5e-05, 'epoch': 1.5}",
            "{'eval_loss': 0.7, 'eval_accuracy': 0.8, 'eval_runtime': 2.0, 'epoch': 2.0}",
            "{'train_runtime': 50.0, 'train_loss': 0.7, 'epoch': 2.0}",
        ]
    )
    log = text_log(tmp_path, text)
    assert (log.train.name, log.val.name, log.lr.name) == ("loss", "eval_loss", "learning_rate")
    assert list(log.train.y) == [0.9, 0.6] and "train_loss" not in log.columns  # the run summary is skipped


def test_stray_numbers_are_never_a_header_or_a_curve(tmp_path):
    counter = (
        "label counts:\nCounter({4: 4965, 5: 4830, 3: 1200})\nBatch Size: 16\nEpochs: 10\nmodel = Linear(in_features=4, out_features=512)\n"
        * 3
    )
    with pytest.raises(LogError, match="no training curve found; kb looked for lines like 'Epoch") as err:
        text_log(tmp_path, counter)
    assert "\n" not in str(err.value) and "4965" not in str(err.value)
    # a final score without any epoch or step is a result, not a curve
    with pytest.raises(LogError, match="no training curve found"):
        text_log(tmp_path, "Loading data\nAccuracy: 1.00, F1-Score: 1.00, FPR: 0.00\n", "score.log")


def test_one_progress_line_is_read_but_is_not_yet_a_curve(tmp_path):
    log = text_log(tmp_path, "options...\n(epoch: 1, iters: 20, time: 14.3, data: 0.06) G_GAN: 2.283 G_L1: 33.917\n")
    assert log.train is None and "g_gan" in log.columns and log.source.startswith("read 1 line like: (epoch: 1")


def test_epoch_counter_that_starts_again_splits_runs(tmp_path):
    run = lambda n, scale: "".join(
        f"Epoch {e}/{n}\nloss: {scale / e:.4f} - val_loss: {scale * 1.1 / e:.4f}\n" for e in range(1, n + 1)
    )
    log = text_log(tmp_path, run(8, 2.0) + run(5, 1.0))
    assert len(log.runs) == 1 and log.runs[0] == "epoch 8 -> 1 at line 18"
    assert list(log.train.x) == [1, 2, 3, 4, 5] and log.train.y[0] == 1.0  # the last run only


def test_an_iteration_counter_that_restarts_with_every_epoch_is_no_restarted_run(tmp_path):
    # "Epoch: [352/520] Iter:[0/495]" (HRNet/PIDNet-style segmentation logs): Iter counts within the epoch
    text = "".join(
        f"Epoch: [{e}/20] Iter:[{i}/30], lr: [0.01], Loss: {2.0 - 0.05 * e - 0.001 * i:.4f}\n"
        for e in range(10, 20)
        for i in range(0, 30, 10)
    )
    log = read_log(write(tmp_path, "train.log", text))
    assert not log.runs and log.x_name == "epoch" and len(log.train.y) == 30
    assert log.train.x[0] == 10 and log.train.x[-1] == pytest.approx(19 + 20 / 21)  # steps per epoch: the largest + 1
    # a counter that really starts again is still a new run, and the finding names only the first few positions
    again = "".join(f"Epoch {e}/3 loss: {1 - 0.1 * e}\n" for _ in range(9) for e in range(1, 4))
    from kb.diagnosis import diagnose_file

    found = diagnose_file(write(tmp_path, "again.log", again)).findings[0]
    assert found.id == "restarted-runs" and "; and 3 more" in found.evidence


def test_an_evaluation_line_between_epoch_iter_lines_is_validation_not_a_restart(tmp_path):
    # semantic_segmentation (dev): "Epoch: [352/520] Iter:[i/495] ... Loss: 1.59" lines, and after each epoch an
    # evaluation line with the same "Loss" name, no counter and two spaces after its colons. It was read as 168
    # runs (the evaluation line has no epoch, so the next epoch's Iter 0 looked like a restart), its loss mixed
    # into the training curve, and "MeanIU:  0.4960" lost to the two spaces.
    text = "".join(
        "".join(
            f"Epoch: [{e}/60] Iter:[{i}/30], lr: [0.01], Loss: {2.0 - 0.01 * e - 0.001 * i:.4f}\n" for i in (0, 10, 20)
        )
        + f"Loss: {1.0 - 0.005 * e:.3f}, MeanIU:  {0.4 + 0.002 * e:.4f}, Best_mIoU:  {0.4 + 0.002 * e:.4f}\n"
        for e in range(40, 60)
    )
    log = read_log(write(tmp_path, "train.log", text))
    assert not log.runs
    assert log.val.name == "val_loss" and len(log.val.y) == 20 and log.val.y[0] == pytest.approx(0.8)
    assert len(log.train.y) == 60 and log.train.y.min() > 1.3  # no evaluation loss among the training points
    assert log.val_metric.name == "val_meaniu"  # not the best-so-far column, which only ever improves
    assert log.val.x[0] == pytest.approx(40 + 20 / 21)  # at the end of its epoch


def test_lightning_early_stopping_messages_are_the_monitored_curve(tmp_path):
    # kd_thesis (dev): a wandb console capture whose only numbers are EarlyStopping(verbose=True)'s messages, under
    # one collapsed "Epoch 46: 100%" bar; the epoch printed once is no axis
    from kb.diagnosis import diagnose_file

    best = [0.168 + 0.53 * (1 - 0.93**i) for i in range(38)]
    text = "Epoch 46: 100%|#| 352/352 [00:38<00:00,  9.24it/s, v_num=p8p2]\n" + "".join(
        f"Metric val/accuracy improved by {b - a:.3f} >= min_delta = 0.0. New best score: {b:.3f}\n"
        for a, b in zip(best, best[1:])
    )
    log = read_log(write(tmp_path, "output.log", text))
    assert log.val.name == "val_accuracy" and len(log.val.y) == 37 and log.x_name == "row"
    assert diagnose_file(write(tmp_path, "output2.log", text)).findings[0].id == "still-improving"
    # the message's numbers are read as one point, not as "min_delta" and "New best score" columns
    assert "min_delta" not in log.columns


def test_a_log_that_starts_mid_run_is_not_called_underfitting(tmp_path):
    # a run resumed from a checkpoint at epoch 352: its loss falls little in the last third of training, which
    # says nothing about whether the model can fit (the fall happened before the log begins)
    from kb.diagnosis import diagnose_file

    line = "Epoch {e}/520 loss: {loss:.4f} val_loss: {val:.4f}\n"
    text = "".join(
        line.format(e=e, loss=1.6 - 0.002 * (e - 352), val=1.63 - 0.002 * (e - 352)) for e in range(352, 520)
    )
    found = {f.id for f in diagnose_file(write(tmp_path, "resumed.log", text)).findings}
    assert "underfitting" not in found
    fresh = "".join(line.format(e=e, loss=1.6 - 0.002 * e, val=1.63 - 0.002 * e) for e in range(0, 168))
    assert diagnose_file(write(tmp_path, "fresh.log", fresh)).findings[0].id == "underfitting"


def test_without_validation_a_slow_fall_is_still_improving_and_a_stuck_one_a_problem(tmp_path):
    # ObjectDetection-Capsnet (eighth batch, dev): a training-only Keras log, 0.475 -> 0.393 in 9 epochs, lower
    # every epoch. Both experts read "still improving"; kb said "underfitting: the learning rate is far too low",
    # which nothing in a log without validation shows (the first point is the first epoch's average).
    from kb.diagnosis import diagnose_file

    slow = [0.475, 0.434, 0.419, 0.412, 0.408, 0.402, 0.3985, 0.396, 0.393]
    text = "epoch,loss\n" + "".join(f"{e},{v}\n" for e, v in enumerate(slow))
    assert diagnose_file(write(tmp_path, "slow.csv", text)).findings[0].id == "still-improving"
    # a fall under 10% over the whole run stays a problem
    stuck = "epoch,loss\n" + "".join(f"{e},{15.917 - 0.0001 * e}\n" for e in range(100))
    assert diagnose_file(write(tmp_path, "stuck.csv", stuck)).findings[0].severity == "problem"


def test_a_loss_printed_alone_once_per_epoch_is_a_curve(tmp_path):
    # samy_mlops (seventh batch, dev): "Training loss: 0.889" 200 times, no counter; two such lines are not yet one
    text = "".join(f"Training loss: {1 / (e + 1):.4f}\n" for e in range(12))
    log = read_log(write(tmp_path, "output.log", text))
    assert log.train.name == "training_loss" and len(log.train.y) == 12
    with pytest.raises(LogError):
        read_log(write(tmp_path, "two.log", "Final loss: 0.3\nBest loss: 0.2\n"))


def test_a_validation_error_is_the_validation_curve_when_no_validation_loss_is_logged(tmp_path):
    # Minimal-DL-C (seventh batch, dev): "epoch,train_loss,val_mse,val_rmse" from a hand-written loop
    text = "epoch,train_loss,val_mse,val_rmse\n" + "".join(
        f"{e},{0.8 - 0.06 * e:.3f},{v:.3f},{v**0.5:.3f}\n"
        for e, v in enumerate([0.7, 0.56, 0.58, 0.6, 0.64, 0.62, 0.64])
    )
    log = read_log(write(tmp_path, "history.csv", text))
    assert log.val.name == "val_mse" and any("val_mse" in note for note in log.notes)


def test_many_interleaved_validation_rows_stay_cheap(tmp_path):
    # bounded work: each step drop asks about the columns its row logs; 2,000 of them in 100,000 rows
    import time

    rows = []
    for epoch in range(2000):
        rows += [f"{epoch},{epoch * 500 + s},{1.0 / (epoch + 1):.5f}," for s in range(0, 500, 10)]
        rows.append(f",{epoch},,{0.9 / (epoch + 1):.5f}")
    start = time.perf_counter()
    log = read_log(write(tmp_path, "metrics.csv", "epoch,step,train_loss,val_loss\n" + "\n".join(rows) + "\n"))
    assert not log.runs and time.perf_counter() - start < 10


def test_a_config_line_that_names_a_step_budget_is_no_row(tmp_path):
    # parameter-golf (sixth batch, dev): "iterations:20000" in a config line was read as a row at step 20000, so
    # the run's "step:0/20000" looked like a restart
    text = "train_batch_tokens:786432 train_seq_len:1024 iterations:20000 warmup_steps:20\n"
    text += "".join(f"step:{s}/20000 train_loss:{8 - 0.01 * s:.3f} lr_scale:1.0\n" for s in range(1, 200, 10))
    log = read_log(write(tmp_path, "train.log", text))
    assert not log.runs and len(log.train.y) == 20 and log.train.x[0] == 1


def test_lightning_validation_rows_with_their_own_step_are_no_restart(tmp_path):
    # Lightning interleaves validation rows whose step counts validation batches (0, 40, 80...) between training
    # rows at global steps: the step drops between the two kinds of row, never within one
    rows = []
    for epoch in range(8):
        rows += [f"{epoch},{epoch * 200 + s},{1.0 / (epoch + 1):.4f},," for s in (49, 99, 149)]
        rows += [f",{epoch * 40},,{0.9 / (epoch + 1):.4f},", f"{epoch},{epoch * 200 + 149},,,{0.8 / (epoch + 1):.4f}"]
    text = "epoch,step,train_loss_step,val_loss_step,val_loss_epoch\n" + "\n".join(rows) + "\n"
    log = read_log(write(tmp_path, "metrics.csv", text))
    assert not log.runs and log.val.name == "val_loss_epoch" and len(log.val.y) == 8
    appended = text + "\n".join(rows) + "\n"  # the same run written twice: that is a restart
    assert read_log(write(tmp_path, "metrics.csv", appended)).runs


def test_csv_runs_appended_with_the_header_again_or_a_restarting_counter(tmp_path):
    first = "epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1):.3f},{1.1 / (e + 1):.3f}\n" for e in range(6))
    again = "epoch,loss,val_loss\n" + "".join(f"{e},{0.5 / (e + 1):.3f},{0.6 / (e + 1):.3f}\n" for e in range(4))
    log = read_log(write(tmp_path, "history.csv", first + again))
    assert log.runs and list(log.train.y) == [0.5, 0.25, 0.167, 0.125]
    restart = first + "".join(f"{e},{0.5 / (e + 1):.3f},{0.6 / (e + 1):.3f}\n" for e in range(4))  # no header
    log = read_log(write(tmp_path, "appended.csv", restart))
    assert log.runs == ("epoch 5 -> 0 at row 7",) and len(log.train) == 4


def test_ultralytics_results_sum_the_loss_parts(tmp_path):
    header = "                  epoch,         train/box_loss,         train/cls_loss,         train/dfl_loss,   metrics/mAP50(B),    metrics/mAP50-95(B),           val/box_loss,           val/cls_loss,           val/dfl_loss,                 lr/pg0\n"
    rows = "".join(
        f"{e:>24},{3 / e:>24.4f},{2 / e:>24.4f},{1 / e:>24.4f},{0.1 * e:>24.4f},{0.05 * e:>24.4f},{2.5 / e:>24.4f},{1.5 / e:>24.4f},{1.0 / e:>24.4f},{0.01 / e:>24.5f}\n"
        for e in range(1, 6)
    )
    log = read_log(write(tmp_path, "results.csv", header + rows))
    assert log.format == "ultralytics results.csv"
    assert log.train.name == "train/loss (box+cls+dfl)" and log.train.y[0] == pytest.approx(6.0)
    assert log.val.name == "val/loss (box+cls+dfl)" and log.val_metric.name == "metrics/mAP50-95(B)"
    assert log.lr.name == "lr/pg0" and log.val_metric.higher_is_better


def test_history_saved_by_pandas(tmp_path):
    data = {"loss": {"0": 1.0, "1": 0.8, "2": 0.7}, "val_loss": {"0": 1.1, "1": 1.0, "2": 1.05}}
    log = read_log(write(tmp_path, "history.json", json.dumps(data)))
    assert log.format == "Keras History JSON" and list(log.val.y) == [1.1, 1.0, 1.05]


def test_lightning_padding_and_nan_text_through_both_csv_paths(tmp_path):
    rows = "".join(f"0,{s},{1 / s:.4f},,\n" for s in range(1, 50)) + "0,49,,0.5,0.8\n"
    log = read_log(write(tmp_path, "metrics.csv", "epoch,step,train_loss,val_loss,val_acc\n" + rows))
    assert len(log.train) == 49 and list(log.val.y) == [0.5] and not np.isnan(log.train.y).any()
    with_nan = rows + "1,50,nan,,\n"
    log = read_log(write(tmp_path, "nan.csv", "epoch,step,train_loss,val_loss,val_acc\n" + with_nan))
    assert len(log.train) == 50 and np.isnan(log.train.y[-1])  # a logged nan is kept, an empty cell is not


def test_long_curves_are_binned_before_the_rules(tmp_path):
    steps = 50_000
    rows = "".join(f"{s},{1 / (1 + s / 1000):.5f}\n" for s in range(steps))
    log = read_log(write(tmp_path, "steps.csv", "step,loss\n" + rows))
    assert len(log.train) <= 20_000 and "binned" in log.notes[0]
    assert log.train.y[0] == pytest.approx(np.mean([1 / (1 + s / 1000) for s in range(3)]), rel=1e-4)


# ---------------------------------------------------------------- bounded input


def test_devices_pipes_and_deep_json_end_in_one_line(tmp_path):
    with pytest.raises(LogError, match="binary data"):
        read_log("/dev/zero")
    with pytest.raises(LogError, match="nested too deeply"):
        read_log(write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000))
    import os
    import threading

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("epoch,loss\n1,1.0\n2,0.8\n3,0.7\n"))
    writer.start()
    log = read_log(fifo)
    writer.join()
    assert list(log.train.y) == [1.0, 0.8, 0.7]


def test_a_text_pipe_that_never_ends_stops_at_the_cap(tmp_path, monkeypatch):
    import io

    from kb.diagnosis import logs

    monkeypatch.setattr(logs, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(LogError, match="more than"):
        logs._read_capped(tmp_path, io.BytesIO(b"loss: 0.5\n" * 1000), 1000)


def test_nan_and_inf_values_are_read_not_skipped():
    # the HF Trainer prints {'loss': nan, ...}: a part with no digit is still a value when it says nan or inf
    from kb.diagnosis.textlogs import read_line

    line = read_line(1, "{'loss': nan, 'grad_norm': nan, 'learning_rate': 4.2e-05, 'epoch': 0.47}")
    assert math.isnan(line.metrics["loss"]) and line.epoch == 0.47
    assert math.isinf(read_line(2, "epoch 3 | loss inf | acc 0.5").metrics["loss"])
    assert read_line(3, "infinite patience, information only").metrics == {}


def test_xgboost_and_lightgbm_evaluation_lines_are_rounds_of_a_curve(tmp_path):
    # lebron-is-the-goat (eighth batch, dev): XGBoost's verbose_eval output, "[100]\tvalidation_0-logloss:0.49070"
    xgb = "".join(
        f"[{r}]\tvalidation_0-logloss:{0.66 - 0.001 * r:.5f}\tvalidation_1-auc:{0.7 + 0.001 * r:.4f}\n"
        for r in range(0, 100, 10)
    )
    log = read_log(write(tmp_path, "xgb.log", xgb))
    assert log.x_name == "step" and log.val.name == "validation_0_logloss" and list(log.val.x[:2]) == [0, 10]
    lgb = "".join(f"[{r}]\tvalid_0's binary_logloss: {0.6 - 0.001 * r:.4f}\n" for r in range(1, 11))
    assert read_log(write(tmp_path, "lgb.log", lgb)).val.name == "valid_0_binary_logloss"
    # a bracketed label is no round: "[VAL (calibrated)]  brier=0.16  auc=0.83"
    from kb.diagnosis.textlogs import read_line

    assert read_line(1, "[VAL (calibrated)]  brier=0.1664  ece=0.0266  auc=0.8271").step is None


def test_utf16_logs_and_bare_cr_line_ends_are_read(tmp_path):
    # Real logs (batch 9): PowerShell's `python train.py > train.log` writes UTF-16 with a byte order mark, and a
    # Keras CSVLogger file saved with classic-Mac line ends (bare CR) had one "line". Both were refused before.
    rows = "".join(f"{e},{1 / (e + 1):.4f},{0.5 + 0.02 * e:.4f}\r" for e in range(8))
    cr = tmp_path / "cr.log"
    cr.write_bytes(("epoch,loss,val_loss\r" + rows).encode())
    log = read_log(cr)
    assert log.train.name == "loss" and log.val.name == "val_loss" and len(log.train.y) == 8

    text = "".join(f"Epoch {e}/8 - Loss: {1 / (e + 1):.5f}\r\n" for e in range(1, 9))
    utf16 = tmp_path / "utf16.log"
    utf16.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    log = read_log(utf16)
    assert log.train.name == "loss" and list(log.train.y[:2]) == pytest.approx([0.5, 1 / 3], abs=1e-5)
