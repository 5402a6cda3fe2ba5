"""kb explain, fast tier: reading scripts and notebooks (and refusing what is not Python), every knob finder on
small scripts written for it, resolved values, the page sentence, where to start, and the renderers."""

from __future__ import annotations

import io
import json
import sys
import textwrap

import pytest

from kb.errors import UsageError
from kb.explanation import KINDS, explain_file, explain_text
from kb.explanation.sentences import sentence_for, sentences
from kb.explanation.source import MAX_CODE_BYTES, NotPython, read_text
from kb.formats import render


def explain(code: str, pages=None):
    return explain_text(textwrap.dedent(code), pages)


def found(code: str) -> set[tuple[int, str]]:
    return {(k.line, k.kind) for k in explain(code).knobs}


def knob(code: str, kind: str):
    return next(k for k in explain(code).knobs if k.kind == kind)


def notebook(*cells: str, language: str = "python") -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "source": ["# Title\n"]},
                *({"cell_type": "code", "source": textwrap.dedent(c).splitlines(True)} for c in cells),
            ],
            "metadata": {"kernelspec": {"language": language, "name": "k"}},
            "nbformat": 4,
        }
    )


# ---------------------------------------------------------------- reading


def test_a_notebook_is_read_cell_by_cell_with_ipython_lines_blanked_and_a_broken_cell_skipped():
    text = notebook(
        "!pip install torch\n%matplotlib inline\nimport torch\n",
        "model.fit(\n",  # does not parse
        "%%time\nimport torch.optim as optim\nopt = optim.Adam(model.parameters(), lr=3e-4)\n",
        "%%bash\nls -l\n",
    )
    result = explain_text(text, name="nb.ipynb")
    assert result.kind == "notebook"
    assert {(k.cell, k.line, k.kind) for k in result.knobs} == {(3, 3, "optimizer"), (3, 3, "learning_rate")}
    assert any("cell 2 does not parse" in n for n in result.notes)
    assert any("cell 4 is a %%bash cell" in n for n in result.notes)


def test_a_writefile_cell_of_python_is_read_as_the_code_it_writes():
    # dvgodoy-style notebooks (batch 19): "%%writefile model_configuration/v1.py" cells, then "%run -i" them
    text = notebook(
        "%%writefile model_configuration/v1.py\n\nlr = 0.1\noptimizer = optim.SGD(model.parameters(), lr=lr)\n",
        "%%writefile notes.txt\nlr = 0.5 is too high\n",
        "%run -i model_configuration/v1.py\n",
    )
    result = explain_text(text, name="nb.ipynb")
    assert {(k.cell, k.line, k.kind) for k in result.knobs} >= {(1, 4, "optimizer"), (1, 4, "learning_rate")}
    assert any("cell 2 is a %%writefile cell" in n for n in result.notes)  # cell 0 is the markdown title


def test_a_cell_whose_line_starts_with_percent_inside_an_expression_is_read_as_written():
    text = notebook("msg = ('%d steps'\n       % 3)\nopt = torch.optim.SGD(params, lr=0.1)\n")
    assert {(k.line, k.kind) for k in explain_text(text).knobs} == {(3, "optimizer"), (3, "learning_rate")}


@pytest.mark.parametrize(
    "text, message",
    [
        ("# Title\n\nSome prose about training.\nMore prose here, not code.\n", "not Python"),
        ("epoch,loss,val_loss\n1,0.9,1.0\n2,0.8,0.95\n", "no statements"),
        ('{"loss": [1, 2], "val_loss": [3, 4]}', "no statements"),
        (notebook("x <- 1\nprint(x)\n", language="R"), "a r notebook, not Python"),
        (notebook("this is not python at all\n"), "no code cell parses"),
        ('{"cells": [', "no statements"),
    ],
)
def test_what_is_not_python_is_one_clear_error(text, message):
    with pytest.raises(NotPython, match=message):
        read_text(text, "input")


def test_a_python_2_script_has_its_few_bad_lines_blanked_and_reported():
    code = "import torch\nexec 'x = 1'\nopt = torch.optim.SGD(params, lr=0.1)\n"
    result = explain_text(code)
    assert result.notes == ["line 2 is not Python 3 and was skipped"]
    assert {(k.line, k.kind) for k in result.knobs} == {(3, "optimizer"), (3, "learning_rate")}


def test_a_block_opener_that_does_not_parse_keeps_its_block():
    code = "try:\n    x = 1\nexcept Exception, e:\n    torch.manual_seed(0)\n"
    assert {(k.line, k.kind) for k in explain_text(code).knobs} == {(4, "seed")}


def test_binary_data_missing_files_and_directories_are_usage_errors(tmp_path):
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"PK\x03\x04\x00\x00weights")
    with pytest.raises(NotPython, match="binary data"):
        explain_file(binary)
    with pytest.raises(UsageError, match="no such file"):
        explain_file(tmp_path / "missing.py")
    with pytest.raises(UsageError, match="is a directory"):
        explain_file(tmp_path)


def test_a_50_mb_file_stops_with_a_message_after_reading_at_most_the_limit(tmp_path):
    big = tmp_path / "big.py"
    line = b"x = 1  # " + b"a" * 90 + b"\n"
    with open(big, "wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(line)):
            handle.write(line)
    with pytest.raises(UsageError, match="too big: kb explain reads scripts up to 2 MB"):
        explain_file(big)
    assert len(read_text("x = 1\n" * 10, "small").cells) == 1 and MAX_CODE_BYTES == 2 * 1024 * 1024


def test_stdin_is_read_bounded_and_a_notebook_on_stdin_is_recognised(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(notebook("import torch\ntorch.manual_seed(0)\n").encode())

    monkeypatch.setattr(sys, "stdin", Stdin)
    result = explain_file("-")
    assert result.name == "<stdin>" and result.kind == "notebook"
    assert [(k.cell, k.line, k.kind) for k in result.knobs] == [(1, 2, "seed")]


# ---------------------------------------------------------------- PyTorch


def test_pytorch_optimizer_learning_rate_momentum_betas_and_decay_each_at_their_line():
    code = """
    import torch
    import torch.optim as optim
    opt = optim.SGD(model.parameters(), lr=0.1,
                    momentum=0.9,
                    weight_decay=5e-4)
    adam = torch.optim.Adam(model.parameters(), 3e-4, betas=(0.9, 0.95))
    groups = optim.AdamW([{"params": head, "lr": 1e-3}, {"params": body}], lr=1e-4)
    """
    assert found(code) == {
        (4, "optimizer"), (4, "learning_rate"), (5, "momentum"), (6, "weight_decay"),
        (7, "optimizer"), (7, "learning_rate"), (7, "betas"),
        (8, "optimizer"), (8, "learning_rate"),
    }  # fmt: skip
    assert knob(code, "optimizer").slug == "sgd-momentum"


def test_pytorch_schedulers_and_warmup():
    code = """
    import torch
    from transformers import get_linear_schedule_with_warmup
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    warm = get_linear_schedule_with_warmup(opt, num_warmup_steps=500, num_training_steps=10000)
    """
    assert found(code) == {(4, "lr_schedule"), (5, "lr_schedule"), (5, "warmup")}


def test_a_training_loader_sets_batch_size_and_shuffle_and_a_validation_loader_does_not():
    code = """
    from torch.utils.data import DataLoader
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False)
    test_loader = DataLoader(datasets.MNIST('data', train=False), batch_size=1000)
    loader = DataLoader(dataset, 32, shuffle=True)
    """
    assert found(code) == {(3, "batch_size"), (3, "shuffle"), (6, "batch_size"), (6, "shuffle")}


def test_losses_and_their_options_and_no_loss_from_evaluation_code():
    code = """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1, weight=class_weights, ignore_index=-100)
    bce = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0]))
    def train_step(x, y):
        return F.cross_entropy(model(x), y)
    def evaluate(x, y):
        return F.cross_entropy(model(x), y)
    with torch.no_grad():
        val = F.nll_loss(out, y)
    """
    assert found(code) == {
        (5, "loss"), (5, "label_smoothing"), (5, "class_weight"), (5, "ignore_index"),
        (6, "loss"), (6, "pos_weight"), (8, "loss"),
    }  # fmt: skip


def test_layers_init_transforms_precision_clipping_and_seeds():
    code = """
    import random
    import numpy as np
    import torch
    import torch.nn as nn
    from torchvision import transforms
    random.seed(0); np.random.seed(0); torch.manual_seed(0)
    drop = nn.Dropout(p=0.3)
    norm = nn.BatchNorm2d(64)
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)
    m.weight.data.normal_(0.0, 0.02)
    m.bias.data.fill_(0)
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.ColorJitter(0.4),
                             transforms.ToTensor(), transforms.Normalize([0.5], [0.5])])
    scaler = torch.cuda.amp.GradScaler()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        pass
    model = model.half()
    images = images.half()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    assert found(code) == {
        (7, "seed"), (8, "dropout"), (9, "normalization_layer"), (10, "weight_init"), (12, "weight_init"),
        (14, "augmentation"), (15, "input_normalization"), (16, "grad_scaler"), (17, "mixed_precision"),
        (19, "mixed_precision"), (21, "grad_clipping"),
    }  # fmt: skip
    assert knob(code, "grad_clipping").value == "1.0"
    assert len([k for k in explain(code).knobs if k.kind == "seed"]) == 3


def test_epoch_loops_step_loops_and_hand_written_updates_and_schedules():
    code = """
    import torch
    EPOCHS = 20
    for epoch in range(EPOCHS):
        train()
    for it in range(args.max_iters):
        loss.backward(); optimizer.step()
    for i in range(args.log_steps):
        print(i)
    lr = 0.5
    for p in model.parameters():
        p.data.add_(-lr, p.grad.data)
    lr /= 4.0
    def adjust(optimizer, epoch):
        lr = args.lr * (0.1 ** (epoch // 30))
        for group in optimizer.param_groups:
            group['lr'] = lr
    patience = 10
    """
    assert found(code) == {
        (4, "epochs"), (6, "max_steps"), (10, "learning_rate"), (12, "optimizer"), (13, "lr_schedule"),
        (15, "lr_schedule"), (18, "early_stopping"),
    }  # fmt: skip
    assert knob(code, "epochs").resolved == "20"


# ---------------------------------------------------------------- Keras


def test_keras_compile_fit_optimizers_losses_layers_and_callbacks():
    code = """
    import tensorflow as tf
    from tensorflow import keras
    model = keras.Sequential([
        keras.layers.Dense(128, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4)),
        keras.layers.Dropout(0.2),
        keras.layers.BatchNormalization(),
        keras.layers.RandomFlip("horizontal"),
        keras.layers.Dense(10),
    ])
    opt = keras.optimizers.Adam(1e-3, clipnorm=1.0)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    model.compile(optimizer=opt, loss=loss_fn, metrics=["accuracy"])
    other.compile(optimizer="sgd", loss="mse")
    stop = keras.callbacks.EarlyStopping(patience=3)
    model.fit(x_train, y_train, batch_size=32, epochs=10, shuffle=True, class_weight=weights,
              callbacks=[stop, keras.callbacks.ReduceLROnPlateau()])
    model.evaluate(x_test, y_test, batch_size=512)
    """
    assert found(code) == {
        (5, "weight_decay"), (6, "dropout"), (7, "normalization_layer"), (8, "augmentation"),
        (11, "optimizer"), (11, "learning_rate"), (11, "grad_clipping"),
        (12, "loss"), (12, "label_smoothing"), (14, "optimizer"), (14, "loss"),
        (15, "early_stopping"), (16, "batch_size"), (16, "epochs"), (16, "shuffle"), (16, "class_weight"),
        (17, "lr_schedule"),
    }  # fmt: skip


def test_keras_star_imports_and_compile_by_position_as_older_scripts_write_them():
    # amozie/keras_cifar10.py: `from keras.layers import *`, then `model.compile(Adam(1e-3), 'categorical_crossentropy')`
    code = """
    import re
    import torch
    from keras.models import *
    from keras.layers import *
    from keras.callbacks import *
    pattern = re.compile("epoch")
    x = Input((32, 32, 3))
    y = BatchNormalization()(Conv2D(16, 2)(x))
    y = Dropout(0.25)(y)
    model = Model(x, y)
    model.compile(Adam(1e-3), 'categorical_crossentropy', ['accuracy'])
    model.fit(X, Y, epochs=10, callbacks=[EarlyStopping(patience=2)])
    fast = torch.compile(net)
    """
    assert found(code) == {
        (9, "normalization_layer"), (10, "dropout"), (12, "loss"), (13, "epochs"), (13, "early_stopping"),
    }  # fmt: skip
    # Adam(1e-3) is not imported (no `from keras.optimizers import *`): only a name kb cannot place, so no knob;
    # its own class in the file is never taken for a star-imported one either
    own = code.replace("import re\n", "import re\n    class Dropout:\n        pass\n")
    assert (11, "dropout") not in found(own)


def test_keras_image_generator_counts_augmentations_switched_on_and_tf_data_pipelines():
    code = """
    from keras.preprocessing.image import ImageDataGenerator
    import tensorflow as tf
    gen = ImageDataGenerator(rotation_range=0, width_shift_range=0.1, horizontal_flip=True,
                             vertical_flip=False, rescale=1./255)
    flow = gen.flow(x_train, y_train, batch_size=32)
    val_flow = gen.flow(x_val, y_val, batch_size=64)
    train_ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10000).batch(32)
    test_ds = tf.data.Dataset.from_tensor_slices((xt, yt)).batch(32)
    x_train = x_train / 255.0
    """
    assert found(code) == {
        (4, "augmentation"), (5, "input_normalization"), (6, "batch_size"),
        (8, "shuffle"), (8, "batch_size"), (10, "input_normalization"),
    }  # fmt: skip


def test_search_spaces_name_the_knob_they_search():
    code = """
    def build(hp):
        lr = hp.Choice("learning_rate", values=[1e-2, 1e-3])
        units = hp.Int("units", 32, 512)
    def objective(trial):
        drop = trial.suggest_float("dropout", 0.0, 0.5)
    """
    assert found(code) == {(3, "learning_rate"), (6, "dropout")}
    tabular = """
    from xgboost import XGBRegressor
    def objective(trial):
        params = {
            "n_estimators": trial.suggest_int("n_estimators", 100, 1000),
            "max_depth": 6,
        }
        return XGBRegressor(**params).fit(X, y)
    """
    pages = {k.value.split(":")[0]: k.slug for k in explain(tabular).knobs if k.kind == "model_estimator"}
    assert pages == {'"n_estimators"': "hyperparameter-search", '"max_depth"': "gradient-boosting"}


def test_lightgbm_s_own_training_function_with_a_params_dict_and_an_optuna_search_over_it():
    """keigohtr/kaggle-ipynb-template-style (thirteenth batch, dev): `lgb.train(param, trn_data, num_round)` inside
    a CV helper, the params dict at module level, and an Optuna objective that writes `param[...] =
    trial.suggest_...(...)`; `metric`, `num_threads` and `verbosity` change no learning."""
    code = """
    import lightgbm as lgb
    import optuna
    param = {
        "objective": "binary",
        "metric": "auc",
        "num_threads": 8,
        "learning_rate": 0.01,
        "max_depth": -1,
    }
    def cv(param, X, y):
        num_round = 300
        clf = lgb.train(param, lgb.Dataset(X, label=y), num_round)
        return clf
    def objective(trial):
        param["num_leaves"] = trial.suggest_int("num_leaves", 2, 256)
        param["feature_fraction"] = trial.suggest_uniform("feature_fraction", 0.01, 1.0)
        param["drop_rate"] = trial.suggest_loguniform("drop_rate", 1e-8, 1.0)
        return cv(param, X, y)
    """
    assert found(code) == {
        (5, "model_estimator"), (8, "model_estimator"), (9, "model_estimator"), (13, "model_estimator"),
        (16, "model_estimator"), (17, "model_estimator"), (18, "model_estimator"),
    }  # fmt: skip
    rounds = next(k for k in explain(code).knobs if k.line == 13)
    assert rounds.resolved == "300" and rounds.slug == "gradient-boosting"
    assert {k.slug for k in explain(code).knobs if k.line >= 16} == {"hyperparameter-search"}


# ---------------------------------------------------------------- Hugging Face, Lightning


def test_training_arguments_each_keyword_at_its_line_and_unset_ones_skipped():
    code = """
    from transformers import TrainingArguments, Trainer, EarlyStoppingCallback
    args = TrainingArguments(
        output_dir="out",
        learning_rate=2e-5,
        per_device_train_batch_size=16,
        per_device_eval_batch_size=64,
        num_train_epochs=3,
        max_steps=-1,
        weight_decay=0.01,
        warmup_ratio=0.1,
        lr_scheduler_type="cosine",
        fp16=False,
        bf16=True,
        optim="adamw_torch",
        gradient_accumulation_steps=4,
        max_grad_norm=1.0,
        label_smoothing_factor=0.1,
        seed=42,
    )
    trainer = Trainer(model=model, args=args, callbacks=[EarlyStoppingCallback(early_stopping_patience=3)])
    labels[labels == tokenizer.pad_token_id] = -100
    keep = labels != -100
    """
    assert found(code) == {
        (5, "learning_rate"), (6, "batch_size"), (8, "epochs"), (10, "weight_decay"), (11, "warmup"),
        (12, "lr_schedule"), (13, "mixed_precision"), (14, "mixed_precision"), (15, "optimizer"), (16, "grad_accumulation"),
        (17, "grad_clipping"), (18, "label_smoothing"), (19, "seed"), (21, "early_stopping"),
        (22, "ignore_index"),
    }  # fmt: skip
    assert knob(code, "optimizer").slug == "adam"


def test_lightning_trainer_flags_hooks_and_loaders():
    code = """
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping
    from torch.utils.data import DataLoader

    class Model(L.LightningModule):
        def configure_optimizers(self):
            opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
            return [opt], [torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)]
        def train_dataloader(self):
            return DataLoader(self.train_ds, batch_size=self.batch_size, shuffle=True)
        def val_dataloader(self):
            return DataLoader(self.val_ds, batch_size=self.batch_size)

    L.seed_everything(42)
    trainer = L.Trainer(max_epochs=5, precision="16-mixed", gradient_clip_val=0.5,
                        accumulate_grad_batches=2, max_steps=-1,
                        callbacks=[EarlyStopping(monitor="val_loss", patience=3)])
    other = L.Trainer(precision=32)
    """
    assert found(code) == {
        (9, "optimizer"), (9, "learning_rate"), (10, "lr_schedule"), (12, "batch_size"), (12, "shuffle"),
        (16, "seed"), (17, "epochs"), (17, "mixed_precision"), (17, "grad_clipping"), (18, "grad_accumulation"),
        (19, "early_stopping"), (20, "mixed_precision"),  # precision=32 is a choice too: full precision
    }  # fmt: skip


# ---------------------------------------------------------------- scikit-learn


def test_sklearn_estimators_grids_sweeps_scalers_and_seeds():
    code = """
    import numpy as np
    from sklearn.svm import SVC
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.model_selection import GridSearchCV, KFold, train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.datasets import make_moons
    X, y = make_moons(noise=0.3, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=42)
    params = {
        "n_estimators": 300,
        "max_depth": 3,
    }
    gb = GradientBoostingClassifier(**params)
    rf = RandomForestClassifier(n_jobs=-1, random_state=0)
    grid = [{"C": [1, 10]}, {"kernel": ["linear"]}]
    search = GridSearchCV(SVC(), grid, cv=KFold(5, shuffle=True, random_state=1))
    for C in [0.1, 1.0]:
        SVC(C=C)
    scaler = StandardScaler()
    """
    assert found(code) == {
        (9, "seed"), (11, "model_estimator"), (12, "model_estimator"), (15, "model_estimator"), (15, "seed"),
        (16, "model_estimator"), (17, "model_estimator"), (17, "shuffle"), (17, "seed"), (18, "model_estimator"),
        (19, "model_estimator"), (20, "input_normalization"),
    }  # fmt: skip
    pages = {(k.line, k.slug) for k in explain(code).knobs if k.kind == "model_estimator"}
    assert {(11, "gradient-boosting"), (15, "bias-variance"), (16, "hyperparameter-search")} <= pages
    assert {(17, "hyperparameter-search"), (18, "bias-variance")} <= pages


# ---------------------------------------------------------------- values, pages, start, rendering


def test_names_resolve_to_argparse_defaults_constants_and_parameter_defaults():
    code = """
    import argparse, torch
    parser = argparse.ArgumentParser()
    parser.add_argument('--learning-rate', '--lr', dest='lr', type=float, default=0.01)
    parser.add_argument('--beta1', type=float, default=0.5)
    args = parser.parse_args()
    BATCH = 128
    def train(epochs=3):
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
        loader = torch.utils.data.DataLoader(train_set, batch_size=BATCH)
        for epoch in range(epochs):
            pass
    """
    knobs = {k.kind: k for k in explain(code).knobs}
    assert (knobs["learning_rate"].resolved, knobs["learning_rate"].resolved_from) == ("0.01", "argparse default")
    assert knobs["betas"].resolved == "(0.5, 0.999)"
    assert (knobs["batch_size"].resolved, knobs["batch_size"].resolved_from) == ("128", "line 7")
    assert (knobs["epochs"].resolved, knobs["epochs"].resolved_from) == ("3", "default of train()")


def test_a_default_the_file_overrides_in_its_own_call_is_not_what_runs():
    code = """
    import argparse, torch
    parser = argparse.ArgumentParser()
    parser.add_argument('--learning_rate', type=float, default=0.0001)
    args = parser.parse_args()
    class Lit:
        def __init__(self, backbone, learning_rate=1e-3):
            self.save_hyperparameters()
        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
    def train(epochs=3):
        for epoch in range(epochs):
            if epoch:
                train(epochs)  # recursion passes what it was given: not an override
    model = Lit(backbone, args.learning_rate)
    train(epochs=20)
    """
    knobs = {(k.kind, k.line): k for k in explain(code).knobs}
    learning_rate, epochs = knobs["learning_rate", 10], knobs["epochs", 12]
    assert (learning_rate.resolved, learning_rate.resolved_from) == (
        "0.0001",
        "argparse default, passed to Lit() on line 15",
    )
    assert (epochs.resolved, epochs.resolved_from) == ("20", "passed to train() on line 16")


def test_settings_written_down_for_code_kb_cannot_see_are_reported_where_they_are_set():
    code = """
    import torch
    learning_rate = 6e-4          # handed to nanoGPT's optimizer factory: reported there, resolved to this line
    batch_size = 12               # resolved where the loader uses it: reported there, not twice
    GPT_CONFIG = {"n_layers": 12, "drop_rate": 0.1}
    C = get_config()
    C.trainer.learning_rate = 5e-4
    hyp = {"opt": {"lr": 11.5}}   # read back below: reported where it is used
    optimizer = model.configure_optimizers(0.1, learning_rate)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    lr = hyp["opt"]["lr"]
    """
    assert found(code) == {
        (9, "optimizer"), (9, "learning_rate"), (5, "dropout"), (7, "learning_rate"), (10, "batch_size"),
        (10, "shuffle"),
    }  # fmt: skip
    assert [k.resolved_from for k in explain(code).knobs if k.line == 9 and k.kind == "learning_rate"] == ["line 3"]


def test_dropout_written_gpt_style_in_a_settings_dict_and_inputs_standardized_by_hand():
    """minGPT / GPT-2 config names (`resid_pdrop`), a `dict(...)` of settings and a `kwargs["dropout"] = 0.1` entry
    handed to a model defined elsewhere; and `(x - mean) / std` written out (seventh blind batch)."""
    code = """
    import torch
    extra = {}
    extra.update(dict(embd_pdrop=0.1, resid_pdrop=0.1))
    extra["dropout"] = 0.2
    model = GPT(**extra)
    mean, std = [125.3, 122.9, 113.8], [62.9, 62.0, 66.7]
    for i in range(3):
        x_train[:, :, :, i] = (x_train[:, :, :, i] - mean[i]) / std[i]
    """
    assert {(4, "dropout"), (5, "dropout"), (9, "input_normalization")} <= found(code)
    quiet = """
    import torch
    settings = {}
    settings["dropout"] = 0.2
    p = settings["dropout"]
    delta = (x - previous) / 2
    """
    assert found(quiet) == set()  # read back where it is used; a difference halved is no normalization


def test_a_loader_factory_s_settings_are_reported_where_the_training_loader_is_made():
    """bentrevett/pytorch-sentiment-analysis-style: the batch size and shuffling are decided by the caller."""
    code = """
    import torch
    def get_data_loader(dataset, batch_size, pad_index, shuffle=False):
        return torch.utils.data.DataLoader(dataset=dataset, batch_size=batch_size, shuffle=shuffle)
    batch_size = 512
    train_data_loader = get_data_loader(train_data, batch_size, pad_index, shuffle=True)
    valid_data_loader = get_data_loader(valid_data, batch_size, pad_index)
    """
    assert {(k.line, k.kind) for k in explain(code).knobs} == {(6, "batch_size"), (6, "shuffle")}
    assert knob(code, "batch_size").resolved == "512"


def test_research_code_s_own_optimizers_schedules_apex_amp_and_mixup():
    """From the tenth blind batch (research and competition code): an optimizer the project ships itself, a
    `WarmupCosineSchedule` class of its own, apex amp's loss scaling, and the mixup weight drawn from a Beta."""
    code = """
    import numpy as np
    import torch
    from apex import amp
    from utils.radam import RAdam
    from utils.scheduler import WarmupCosineSchedule
    optimizer = RAdam(model.parameters(), lr=3e-4)
    scheduler = WarmupCosineSchedule(optimizer, warmup_steps=500, t_total=10000)
    model, optimizer = amp.initialize(model, optimizer, opt_level="O2")
    for x, y in train_loader:
        lam = np.random.beta(0.4, 0.4)
        loss = criterion(model(x), y)
        with amp.scale_loss(loss, optimizer) as scaled_loss:
            scaled_loss.backward()
    """
    assert {
        (7, "optimizer"), (7, "learning_rate"), (8, "lr_schedule"), (8, "warmup"), (9, "mixed_precision"),
        (11, "augmentation"), (13, "grad_scaler"),
    } <= found(code)  # fmt: skip
    assert knob(code, "optimizer").slug == "adam"
    not_an_optimizer = "import torch\nfrom utils import Tracker\ntracker = Tracker(model.parameters())\n"
    assert found(not_an_optimizer) == set()


def test_a_project_s_own_loss_class_and_random_transforms_named_like_the_libraries():
    """clovaai/CutMix-PyTorch- and Carvana-solution-style: `utils.ColorJitter`, `utils.Lighting`, a joint
    `RandomCrop` of the project, and `criterion = CombinedLoss(...)`; a project's `RandomSampler` or PIL's
    deterministic filter is no augmentation."""
    code = """
    import torch
    import utils
    from losses import CombinedLoss
    from PIL import ImageFilter
    from my_transforms import RandomCrop, RandomSampler
    jittering = utils.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4)
    lighting = utils.Lighting(alphastd=0.1)
    crop = RandomCrop(256)
    sampler = RandomSampler(train_set)
    blur = ImageFilter.GaussianBlur(radius=2)
    criterion = CombinedLoss(is_weight=True)
    """
    assert found(code) == {(7, "augmentation"), (8, "augmentation"), (9, "augmentation"), (12, "loss")}


def test_a_python_2_script_is_read_with_its_print_statements_as_expressions():
    """asanakoy/kaggle_carvana_segmentation-style: 20 `print '...'.format(...)` statements kept kb from reading the
    file at all ("not Python 3"); they are now read as expressions, line for line, and the knobs are found."""
    code = "import torch\n" + "".join(f"print 'step {i}', {i}\n" for i in range(20))
    code += "print >>sys.stderr, 'done'\noptimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\nprint\n"
    explanation = explain_text(textwrap.dedent(code))
    assert ("learning_rate", 23) in {(k.kind, k.line) for k in explanation.knobs}
    assert explanation.notes == ["21 Python 2 print statement(s) read as expressions"]
    assert explain_text("import torch\nprint (x)\nprint(y)\n").notes == []
    docstring = 'import torch\n"""\nprint the results\n"""\nopt = torch.optim.Adam(model.parameters())\n'
    assert explain_text(docstring).notes == []  # Python 3 that parses is left as it is


def test_a_notebook_setting_used_in_a_later_cell_is_reported_where_it_is_used_only():
    """Notebooks set constants in one cell and use them cells later; the use says "= 64 (cell 1 line 2)", so the
    definition is not reported a second time (it was, as an unlabelled knob, in two blind-labelled notebooks)."""
    text = notebook(
        "import torch\nbatch_size = 64\nepochs = 20\nlr = 3e-5\n",
        "loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)\n",
        "opt = torch.optim.Adam(model.parameters(), lr=lr)\nfor epoch in range(epochs):\n    train(loader)\n",
    )
    knobs = explain_text(text).knobs
    assert {(k.cell, k.kind) for k in knobs if k.kind in ("batch_size", "epochs", "learning_rate")} == {
        (2, "batch_size"), (3, "learning_rate"), (3, "epochs"),
    }  # fmt: skip
    assert next(k for k in knobs if k.kind == "batch_size").resolved_from == "cell 1 line 2"


def test_gradient_accumulation_as_an_inner_loop_and_a_batch_count_as_the_run_length():
    code = """
    import torch
    NUM_BATCHES, ACCUMULATE = 100000, 4
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    for i in range(NUM_BATCHES):
        for _ in range(ACCUMULATE):
            loss = model(next(train_loader))
            (loss / ACCUMULATE).backward()
        optim.step()
        optim.zero_grad()
    """
    assert {(5, "max_steps"), (6, "grad_accumulation")} <= found(code)
    per_epoch = """
    import torch
    for epoch in range(10):
        for i in range(num_batches):
            loss = model(x[i]).sum()
            loss.backward()
            opt.step()
    """
    assert (4, "max_steps") not in found(per_epoch) and (3, "epochs") in found(per_epoch)  # batches per epoch


def test_parameter_groups_in_a_variable_and_a_norm_layers_own_momentum():
    code = """
    import torch
    import torch.nn as nn
    class BatchNorm(nn.BatchNorm2d):
        def __init__(self, num_features, momentum):
            super().__init__(num_features, eps=1e-12, momentum=1 - momentum)
    groups = [dict(params=biases, lr=0.5, weight_decay=0.0), {"params": weights, "lr": 0.1}]
    optimizer = torch.optim.SGD(groups, momentum=0.85, nesterov=True)
    """
    assert found(code) == {
        (6, "normalization_layer"), (7, "learning_rate"), (7, "weight_decay"), (8, "optimizer"), (8, "momentum"),
    }  # fmt: skip


def test_a_generators_seed_and_an_unseeding_call():
    code = """
    import numpy as np
    import torch
    from torch.utils.data import random_split
    np.random.seed(10101)
    np.random.shuffle(lines)
    np.random.seed(None)
    train, val = random_split(data, [0.9, 0.1], generator=torch.Generator().manual_seed(42))
    g = torch.Generator()
    g.manual_seed(7)
    """
    assert {line for line, kind in found(code) if kind == "seed"} == {5, 8, 10}  # seed(None) unseeds


def test_a_local_constant_is_resolved_where_a_function_uses_it():
    code = """
    import torch
    def main():
        batch_size = 32
        loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    """
    batch = knob(code, "batch_size")
    assert (batch.line, batch.resolved, batch.resolved_from) == (5, "32", "line 4")


def test_a_projects_own_scheduler_and_early_stopping_classes():
    code = """
    import torch
    from utils import CyclicCosineLRScheduler, EarlyStopping
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = CyclicCosineLRScheduler(optimizer, 0.1, 1e-4, 10000)
    stopper = EarlyStopping(patience=5)
    warmer = WarmupScheduler(model, 100)  # not built on an optimizer: not a learning-rate schedule
    """
    assert {(5, "lr_schedule"), (6, "early_stopping")} <= found(code) and (7, "lr_schedule") not in found(code)


def test_a_projects_own_clipping_helper_and_base_rate_schedule():
    """as7895/DSFNet (fourteenth batch, dev): `clip_gradient(optimizer, opt.clip)` and `LR_Scheduler('poly', opt.lr,
    ...)` from the project's utils, the PyTorch-Encoding helpers many segmentation repositories copy."""
    code = """
    import torch
    from utils import clip_gradient, LR_Scheduler
    optimizer = torch.optim.Adam(model.parameters(), opt.lr)
    scheduler = LR_Scheduler('poly', opt.lr, opt.epoch, total_step)
    for images, gts in train_loader:
        loss.backward()
        clip_gradient(optimizer, opt.clip)
        optimizer.step()
    gradient_clip_report(stats)  # one argument: no limit to clip with, not a clipping call
    timer = TimeScheduler("poly", 3)  # no learning rate: not a learning-rate schedule
    """
    assert {(5, "lr_schedule"), (5, "learning_rate"), (8, "grad_clipping")} <= found(code)
    assert knob(code, "grad_clipping").value == "opt.clip"
    assert not {(10, "grad_clipping"), (11, "lr_schedule")} & found(code)


def test_boosting_early_stopping_callbacks_and_catboost_s_own_names():
    """emepetres/kaggle-ps-s3e2 (fourteenth batch, dev): LightGBM 4's `callbacks=[lgbm.early_stopping(100)]`, and a
    CatBoost params dict whose `random_seed` is a seed, `loss_function` the loss and `task_type` a device."""
    code = """
    import lightgbm as lgbm
    import xgboost as xgb
    from catboost import CatBoostClassifier
    params = {
        "depth": 3,
        "random_seed": 228,
        "task_type": "CPU",
        "loss_function": "Logloss",
    }
    model = CatBoostClassifier(**params)
    lgbm.LGBMClassifier(n_estimators=500).fit(X, y, callbacks=[lgbm.early_stopping(100, verbose=False)])
    stop = xgb.callback.EarlyStopping(rounds=50)
    """
    assert found(code) == {
        (6, "model_estimator"), (7, "seed"), (9, "loss"), (12, "model_estimator"), (12, "early_stopping"),
        (13, "early_stopping"),
    }  # fmt: skip


def test_a_loader_for_validation_says_so_in_its_name_or_split():
    code = """
    import torch
    train_loader = get_dataloader(path, mode="train", batch_size=32)
    val_loader = get_dataloader(path, mode="val", batch_size=256)
    loader = get_dataloader(path, split="test", batch_size=512)
    args = TrainingArguments(output_dir="./test-run", per_device_train_batch_size=8)
    """
    batches = {line for line, kind in found(code) if kind == "batch_size"}
    assert batches == {3, 6}  # an output folder named "test" does not make training arguments evaluation ones


def test_a_batch_size_read_from_a_tensor_is_not_a_setting():
    code = """
    import torch
    def mask(seq):
        batch_size, length = seq.size()
        return pad.expand(batch_size, length, length)
    """
    assert (5, "batch_size") not in found(code)


def test_each_knob_links_its_page_with_one_sentence_taken_verbatim_from_it(fake_engine):
    result = fake_engine.explain_text("import torch\nopt = torch.optim.SGD(params, lr=0.1, momentum=0.9)\n")
    by_kind = {k.kind: k for k in result.knobs}
    page = fake_engine.page("sgd-momentum")
    assert by_kind["momentum"].sentence in sentences(page.summary) and "momentum" in by_kind["momentum"].sentence
    assert by_kind["optimizer"].sentence == sentences(page.summary)[0]
    learning_rate = fake_engine.page("learning-rate")
    assert by_kind["learning_rate"].sentence == sentence_for(learning_rate, KINDS["learning_rate"].words)
    assert set(result.pages) == {"sgd-momentum", "learning-rate"}
    unlinked = explain_text("import torch\nopt = torch.optim.SGD(params, lr=0.1)\n", pages={})
    assert all(k.slug is None and k.sentence is None for k in unlinked.knobs)


def test_sentences_split_markdown_prose_and_read_links_as_their_text():
    text = "See [the docs](https://x.org/a.b) first, e.g. the table. Then tune it again.\n\n- A list item here.\n"
    assert sentences(text) == ["See the docs first, e.g. the table.", "Then tune it again.", "A list item here."]


def test_where_to_start_is_the_learning_rate_then_what_the_script_sets():
    code = """
    import torch
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True)
    for epoch in range(90):
        pass
    """
    assert [k.kind for k in explain(code).start] == ["learning_rate", "momentum", "epochs"]
    keras = "import keras\nmodel.compile(optimizer='adam', loss='mse')\nmodel.fit(x, y, batch_size=8, epochs=3)\n"
    assert [k.kind for k in explain(keras).start] == ["optimizer", "epochs", "batch_size"]
    tabular = "from sklearn.svm import SVC\nfrom sklearn.preprocessing import StandardScaler\ns = StandardScaler()\nSVC(C=1)\n"
    assert [k.kind for k in explain(tabular).start] == ["model_estimator", "input_normalization"]


def test_text_markdown_and_json_renderings(fake_engine):
    code = (
        "import torch\nopt = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-2)\n"
        "loss_fn = torch.nn.CrossEntropyLoss()\nfor epoch in range(5):\n"
        "    loss = loss_fn(torch.softmax(model(x), dim=1), y)\n"
    )
    result = fake_engine.explain_text(code, name="train.py")
    text = render("explanation", result, "text")
    assert text.startswith("train.py: PyTorch script, 5 knobs, 1 likely mistake, 1 minor point\n")
    assert "  line 2  learning rate     1e-3  [learning-rate]" in text
    likely, minor = text.split("Likely mistakes:")[1].split("Minor points")
    assert "softmax before a loss that expects logits" in likely and "adam-weight-decay" in minor
    assert text.rstrip().endswith(
        "Where to start: the learning rate (line 2, 1e-3), then the number of epochs (line 4, 5), then the weight decay (line 2, 1e-2)."
    )
    markdown = render("explanation", result, "markdown")
    assert (
        markdown.startswith("## kb explain: train.py\n")
        and "| line 2 | learning rate | `1e-3` | `learning-rate` |" in markdown
    )
    data = json.loads(render("explanation", result, "json"))
    assert data["version"] == 1 and data["file"] == "train.py" and data["kind"] == "script"
    assert set(data["knobs"][0]) == {
        "kind", "label", "cell", "line", "value", "resolved", "resolved_from", "framework", "page", "sentence"
    }  # fmt: skip
    assert set(data["mistakes"][0]) == {
        "id",
        "title",
        "cell",
        "line",
        "end_line",
        "evidence",
        "why",
        "page",
        "severity",
    }
    severities = {m["id"]: m["severity"] for m in data["mistakes"]}
    assert severities == {"adam-weight-decay": "minor", "softmax-before-logits-loss": "likely"}
    assert data["start"][0]["kind"] == "learning_rate"
    with pytest.raises(UsageError, match="--format html: not a format here"):
        render("explanation", result, "html")


def test_a_script_without_knobs_says_so():
    result = explain_text("print('hello')\n")
    assert result.knobs == [] and "No knobs found" in render("explanation", result, "text")


def test_loss_references_accumulation_lightning_cli_and_hparams_defaults():
    code = """
    import torch
    import torch.nn.functional as F
    from lightning.pytorch.cli import LightningCLI
    import lightning as L
    class Lit(L.LightningModule):
        def __init__(self, learning_rate=1e-3):
            super().__init__()
            self.loss_func = F.binary_cross_entropy_with_logits
        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
    cli = LightningCLI(Lit, seed_everything_default=1234, trainer_defaults={"max_epochs": 10, "precision": 32})
    for step, batch in enumerate(train_loader, start=1):
        loss = model(batch).loss / args.accumulation
        loss.backward()
        if step % args.accumulation == 0:
            optimizer.step()
            optimizer.zero_grad()
        if step % args.log_every == 0:
            print(step)
    """
    assert found(code) == {
        (9, "loss"), (11, "optimizer"), (11, "learning_rate"), (12, "seed"), (12, "epochs"), (12, "mixed_precision"),
        (16, "grad_accumulation"),
    }  # fmt: skip
    learning_rate = knob(code, "learning_rate")
    assert (learning_rate.resolved, learning_rate.resolved_from) == ("1e-3", "default of Lit.__init__()")


def test_a_python_2_script_with_many_bad_lines_is_refused_after_a_bounded_number_of_parses():
    code = "import torch\n" + "exec 'step'\n" * 100 + "opt = torch.optim.SGD(params, lr=0.1)\n"
    with pytest.raises(NotPython, match="not Python 3: more than 12 lines do not parse"):
        read_text(code, "old.py")


def test_thousands_of_loaders_are_explained_in_linear_time():
    """Bounded work on big input: the shuffle rule once looked at every name or assignment of the file for every
    loader (6,000 loaders: tens of seconds, 30,000: minutes). Now each loader looks up its own name."""
    import time

    lines = ["import torch", "from torch.utils.data import DataLoader, random_split"]
    for i in range(6000):
        lines += [f"train_loader_{i} = DataLoader(train_set, batch_size=32)", f"fit(train_loader_{i})"]
    start = time.perf_counter()
    explanation = explain_text("\n".join(lines) + "\n")
    assert len(explanation.mistakes) == 6000 and time.perf_counter() - start < 15


def test_nanogpt_s_optimizer_factory_is_read_by_the_names_of_its_arguments():
    """karpathy/nanoGPT's `model.configure_optimizers(weight_decay, learning_rate, (beta1, beta2), device_type)`,
    copied into many repositories (nanoGPT-playground, eighteenth batch, dev, calls it from a LightningModule)."""
    code = (
        "weight_decay = 1e-1\nlearning_rate = 6e-4\nbeta1 = 0.9\nbeta2 = 0.95\n"
        "optimizer = model.configure_optimizers(weight_decay, learning_rate, (beta1, beta2), device_type)\n"
    )
    assert {(5, "optimizer"), (5, "weight_decay"), (5, "learning_rate"), (5, "betas")} <= found(code)
    assert knob(code, "optimizer").slug == "adam" and knob(code, "learning_rate").resolved == "6e-4"
    # a library method of that name that takes no settings is no knob
    assert found("optimizer = trainer.create_optimizer()\n") == set()
