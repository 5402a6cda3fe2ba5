"""Logs written by the real tools: Keras 3 (torch backend) CSVLogger and History, PyTorch Lightning CSVLogger,
Hugging Face Trainer's trainer_state.json. Run as `python real_tools.py TOOL OUT_DIR` in its own process, so
each framework's import cost and global state stay out of the test process (and the three run in parallel).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def keras(out: Path) -> None:
    os.environ["KERAS_BACKEND"] = "torch"
    import keras as K
    import torch

    torch.set_num_threads(1)
    from training_runs import digits

    x_tr, y_tr, x_val, y_val = (t.numpy() for t in digits(seed=20))
    K.utils.set_random_seed(20)
    model = K.Sequential([K.Input((64,)), K.layers.Dense(64, activation="relu"), K.layers.Dense(10)])
    model.compile(
        optimizer=K.optimizers.Adam(1e-3),
        metrics=["accuracy"],
        loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(
        x_tr,
        y_tr,
        validation_data=(x_val, y_val),
        epochs=15,
        batch_size=64,
        verbose=0,
        callbacks=[K.callbacks.CSVLogger(str(out / "keras_healthy.csv"))],
    )
    # Overfitting: 40 training images, two 512-unit layers; the History object saved as JSON.
    K.utils.set_random_seed(21)
    model = K.Sequential(
        [
            K.Input((64,)),
            K.layers.Dense(512, activation="relu"),
            K.layers.Dense(512, activation="relu"),
            K.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=K.optimizers.Adam(1e-3),
        metrics=["accuracy"],
        loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(x_tr[:40], y_tr[:40], validation_data=(x_val, y_val), epochs=60, batch_size=40, verbose=0)
    (out / "keras_overfitting_history.json").write_text(json.dumps(history.history))


def lightning(out: Path) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.loggers import CSVLogger
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    from training_runs import digits

    class Classifier(L.LightningModule):
        def __init__(self, lr: float):
            super().__init__()
            self.lr = lr
            self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

        def training_step(self, batch, _):
            x, y = batch
            loss = nn.functional.cross_entropy(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            logits = self.net(x)
            self.log("val_loss", nn.functional.cross_entropy(logits, y))
            self.log("val_acc", (logits.argmax(1) == y).float().mean())

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.lr)

    x_tr, y_tr, x_val, y_val = digits(seed=30)
    for name, lr, epochs in (("lightning_healthy", 1e-3, 12), ("lightning_lr_too_low", 1e-5, 12)):
        L.seed_everything(30, verbose=False)
        trainer = L.Trainer(
            max_epochs=epochs,
            accelerator="cpu",
            devices=1,
            log_every_n_steps=5,
            logger=CSVLogger(str(out), name=name, version=0),
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            deterministic=True,
        )
        train = DataLoader(
            TensorDataset(x_tr, y_tr), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(30)
        )
        trainer.fit(Classifier(lr), train, DataLoader(TensorDataset(x_val, y_val), batch_size=512))


def hf(out: Path) -> None:
    import torch
    from torch import nn
    from transformers import Trainer, TrainingArguments
    from transformers.utils import logging

    logging.set_verbosity_error()
    torch.set_num_threads(1)
    from training_runs import digits

    class Net(nn.Module):
        def __init__(self, classify: bool):
            super().__init__()
            self.classify = classify
            self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)) if classify else nn.Linear(64, 1)

        def forward(self, x, labels=None):
            out = self.net(x)
            loss = (
                nn.functional.cross_entropy(out, labels)
                if self.classify
                else nn.functional.mse_loss(out.squeeze(1), labels)
            )
            return {"loss": loss, "logits": out}

    x_tr, y_tr, x_val, y_val = digits(seed=40)
    runs = {
        "hf_healthy": (True, x_tr, y_tr, x_val, y_val, 3e-3),
        # linear regression on the unscaled pixels (0..16) at lr 1e-3: the loss goes to inf, then nan
        "hf_lr_too_high": (False, x_tr * 16, (x_tr * 16).sum(1), x_val * 16, (x_val * 16).sum(1), 1e-3),
    }
    for name, (classify, xt, yt, xv, yv, lr) in runs.items():
        torch.manual_seed(40)
        args = TrainingArguments(
            output_dir=str(out / name),
            num_train_epochs=4,
            per_device_train_batch_size=32,
            per_device_eval_batch_size=512,
            learning_rate=lr,
            lr_scheduler_type="constant",
            optim="sgd" if not classify else "adamw_torch",
            logging_steps=5,
            eval_strategy="steps",
            eval_steps=20,
            save_strategy="no",
            report_to=[],
            use_cpu=True,
            seed=40,
            disable_tqdm=True,
            max_grad_norm=0.0 if not classify else 1.0,
        )
        to_rows = lambda xs, ys: [{"x": a, "labels": b} for a, b in zip(xs, ys)]
        trainer = Trainer(model=Net(classify), args=args, train_dataset=to_rows(xt, yt), eval_dataset=to_rows(xv, yv))
        trainer.train()
        trainer.state.save_to_json(str(out / name / "trainer_state.json"))


if __name__ == "__main__":
    tool, target = sys.argv[1], Path(sys.argv[2])
    target.mkdir(parents=True, exist_ok=True)
    {"keras": keras, "lightning": lightning, "hf": hf}[tool](target)
