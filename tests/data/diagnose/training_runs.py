"""Real training runs (PyTorch and scikit-learn), on CPU in about a second each, that end in a known state; each
writes its log.

Data: scikit-learn's bundled digits (1797 8x8 images, 10 classes, so chance-level loss is ln 10 = 2.303) and
two-moons. Seeds are fixed and torch runs single-threaded, so every run is the same on one machine (not
across CPUs: their kernels round differently, so the tests assert what a run shows, not its exact digits).
The pathologies come from the causes a practitioner would hit (learning rate 100x too high or too low, 40
training images for a large network, shuffled labels, a linear model on a non-linear problem, a few corrupted
batches), not from tweaking the curves.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits, make_moons
from torch import nn

torch.set_num_threads(1)


def digits(n_train: int | None = None, shuffle_labels: bool = False, seed: int = 0):
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    x, y = x[order] / 16.0, y[order]
    x_val, y_val = x[1300:], y[1300:]
    x_tr, y_tr = x[:1300], y[:1300]
    if n_train:
        x_tr, y_tr = x_tr[:n_train], y_tr[:n_train]
    if shuffle_labels:
        y_tr = rng.permutation(y_tr)
        y_val = rng.permutation(y_val)
    t = lambda a, dt: torch.tensor(a, dtype=dt)
    return t(x_tr, torch.float32), t(y_tr, torch.long), t(x_val, torch.float32), t(y_val, torch.long)


def mlp(width: int = 64, depth: int = 1, dropout: float = 0.0, n_in: int = 64, n_out: int = 10) -> nn.Module:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(n_in if i == 0 else width, width), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(width if depth else n_in, n_out))
    return nn.Sequential(*layers)


def train(
    model: nn.Module,
    data,
    optimizer,
    epochs: int,
    batch: int = 64,
    seed: int = 0,
    corrupt_steps=(),
    loss_fn=None,
    eval_every_step: bool = False,
) -> tuple[list[dict], list[dict]]:
    """A plain loop. Returns per-epoch rows (epoch, loss, val_loss, accuracy, val_accuracy) and per-step rows."""
    x_tr, y_tr, x_val, y_val = data
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    classify = y_tr.dtype == torch.long
    gen = torch.Generator().manual_seed(seed)
    epochs_rows, step_rows, step = [], [], 0
    for epoch in range(epochs):
        model.train()
        total, seen, correct = 0.0, 0, 0
        for idx in torch.randperm(len(x_tr), generator=gen).split(batch):
            xb, yb = x_tr[idx], y_tr[idx]
            if step in corrupt_steps:  # a corrupted batch: targets off by orders of magnitude
                yb = yb * 100.0
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            value = loss.item()
            step_rows.append({"step": step, "epoch": epoch, "train_loss": value})
            total += value * len(idx)
            seen += len(idx)
            if classify:
                correct += (out.argmax(1) == yb).sum().item()
        model.eval()
        with torch.no_grad():
            out = model(x_val)
            val = loss_fn(out, y_val).item()
            row = {"epoch": epoch, "loss": total / seen, "val_loss": val}
            if classify:
                row["accuracy"] = correct / seen
                row["val_accuracy"] = (out.argmax(1) == y_val).float().mean().item()
        step_rows[-1]["val_loss"] = val
        epochs_rows.append(row)
    return epochs_rows, step_rows


def write_csv(path: Path, rows: list[dict], delimiter: str = ",") -> Path:
    names: list[str] = []
    for row in rows:
        names += [k for k in row if k not in names]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, names, delimiter=delimiter)  # missing cells stay empty, as Lightning writes them
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))  # nan is written as NaN, as json.dumps does
    return path


# ---------------------------------------------------------------- the runs: name -> (log file, what it is)


def run_healthy(out: Path) -> Path:
    torch.manual_seed(0)
    model = mlp(64)
    rows, _ = train(model, digits(), torch.optim.Adam(model.parameters(), lr=1e-3), epochs=30)
    return write_csv(out / "healthy.csv", rows)


def run_healthy_dropout(out: Path) -> Path:
    """Dropout 0.5: the training loss (dropout on, averaged over the epoch) stays above validation."""
    torch.manual_seed(1)
    model = mlp(128, dropout=0.5)
    rows, _ = train(model, digits(seed=1), torch.optim.Adam(model.parameters(), lr=1e-3), epochs=25, seed=1)
    return write_jsonl(out / "healthy_dropout.jsonl", rows)


def run_healthy_short(out: Path) -> Path:
    """SGD for 12 epochs: healthy, but stopped while still improving."""
    torch.manual_seed(2)
    model = mlp(64)
    rows, _ = train(model, digits(seed=2), torch.optim.SGD(model.parameters(), lr=0.05), epochs=12, seed=2)
    return write_csv(out / "healthy_short.tsv", rows, delimiter="\t")


def run_healthy_steps(out: Path) -> Path:
    """Per-step minibatch losses (noisy by nature) with a validation loss every epoch, NaN-padded rows."""
    torch.manual_seed(3)
    model = mlp(64)
    _, steps = train(model, digits(seed=3), torch.optim.Adam(model.parameters(), lr=1e-3), epochs=20, batch=32, seed=3)
    return write_csv(out / "healthy_steps.csv", steps)


def run_lr_too_high(out: Path) -> Path:
    """SGD at lr 20 (a good value here is about 0.1), logged every step to TensorBoard by SummaryWriter."""
    from torch.utils.tensorboard import SummaryWriter

    torch.manual_seed(4)
    model = mlp(64, depth=2)
    _, steps = train(model, digits(seed=4), torch.optim.SGD(model.parameters(), lr=20.0), epochs=4, seed=4)
    run_dir = out / "lr_too_high_tb"
    with SummaryWriter(str(run_dir)) as writer:
        for row in steps:
            writer.add_scalar("Loss/train", row["train_loss"], row["step"])
            if "val_loss" in row:
                writer.add_scalar("Loss/val", row["val_loss"], row["step"])
    return run_dir


def run_lr_too_high_nan(out: Path) -> Path:
    """Linear regression on unscaled pixels (0..16) with SGD at lr 1e-3, about 3x past the stable limit for this
    data: every step multiplies the error, the loss overflows to inf, then nan. Logged every step."""
    torch.manual_seed(11)
    x_tr, _, x_val, _ = digits(seed=11)
    x_tr, x_val = x_tr * 16, x_val * 16
    target = lambda x: x.sum(1, keepdim=True)
    model = nn.Linear(64, 1)
    _, steps = train(
        model,
        (x_tr, target(x_tr), x_val, target(x_val)),
        torch.optim.SGD(model.parameters(), lr=1e-3),
        epochs=3,
        seed=11,
        loss_fn=nn.MSELoss(),
    )
    return write_jsonl(out / "lr_too_high_nan.jsonl", steps)


def run_lr_too_low(out: Path) -> Path:
    torch.manual_seed(5)
    model = mlp(64)
    rows, _ = train(model, digits(seed=5), torch.optim.SGD(model.parameters(), lr=1e-4), epochs=30, seed=5)
    return write_csv(out / "lr_too_low.csv", rows)


def run_overfitting(out: Path) -> Path:
    """40 training images for a 2x512 network."""
    torch.manual_seed(6)
    model = mlp(512, depth=2)
    rows, _ = train(
        model, digits(n_train=40, seed=6), torch.optim.Adam(model.parameters(), lr=1e-3), epochs=60, batch=40, seed=6
    )
    return write_csv(out / "overfitting.csv", rows)


def run_shuffled_labels(out: Path) -> Path:
    torch.manual_seed(7)
    model = mlp(64)
    rows, _ = train(
        model, digits(shuffle_labels=True, seed=7), torch.optim.Adam(model.parameters(), lr=1e-3), epochs=25, seed=7
    )
    return write_csv(out / "shuffled_labels.csv", rows)


def run_linear_on_moons(out: Path) -> Path:
    """A linear model on two interleaved half-moons with noise: too simple to fit, it flattens out early."""
    torch.manual_seed(8)
    x, y = make_moons(n_samples=1200, noise=0.35, random_state=8)
    x = (x - x.mean(0)) / x.std(0)
    data = (
        torch.tensor(x[:900], dtype=torch.float32),
        torch.tensor(y[:900]),
        torch.tensor(x[900:], dtype=torch.float32),
        torch.tensor(y[900:]),
    )
    model = nn.Linear(2, 2)
    rows, _ = train(model, data, torch.optim.SGD(model.parameters(), lr=0.1), epochs=40, seed=8)
    return write_csv(out / "linear_moons.csv", rows)


def run_corrupted_batches(out: Path) -> Path:
    """Regression on digits' pixel sums, with three batches whose targets are 100x off: loss spikes."""
    torch.manual_seed(9)
    x_tr, _, x_val, _ = digits(seed=9)
    target = lambda x: x.sum(1, keepdim=True) / 10.0
    model = mlp(32, n_out=1)
    _, steps = train(
        model,
        (x_tr, target(x_tr), x_val, target(x_val)),
        torch.optim.Adam(model.parameters(), lr=1e-3),
        epochs=20,
        batch=64,
        seed=9,
        corrupt_steps=(120, 230, 330),
        loss_fn=nn.MSELoss(),
    )
    return write_csv(out / "corrupted_batches.csv", steps)


def run_oscillating(out: Path) -> Path:
    """SGD with momentum 0.9 at lr 0.1 and batches of 8: it learns, but every epoch lands somewhere else."""
    torch.manual_seed(10)
    model = mlp(64)
    rows, _ = train(
        model, digits(seed=10), torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=40, batch=8, seed=10
    )
    return write_csv(out / "oscillating.csv", rows)


def sklearn_mlp(out: Path, name: str, seed: int, shuffle_labels: bool = False, **params) -> Path:
    """scikit-learn's MLPClassifier, one partial_fit per epoch; train loss is its own loss_, validation the log loss."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    x_tr, y_tr, x_val, y_val = (t.numpy() for t in digits(seed=seed))
    if shuffle_labels:
        y_tr = np.random.default_rng(seed).permutation(y_tr)
    model = MLPClassifier(hidden_layer_sizes=(64,), random_state=seed, **params)
    rows, labels = [], np.arange(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, 26):
            model.partial_fit(x_tr, y_tr, classes=labels)
            proba = model.predict_proba(x_val)
            rows.append(
                {
                    "epoch": epoch,
                    "loss": model.loss_,
                    "val_loss": log_loss(y_val, proba, labels=labels),
                    "val_accuracy": float((proba.argmax(1) == y_val).mean()),
                }
            )
    return write_csv(out / f"{name}.csv", rows)


def run_sklearn_healthy(out: Path) -> Path:
    return sklearn_mlp(out, "sklearn_healthy", 50, learning_rate_init=3e-3)


def run_sklearn_lr_too_high(out: Path) -> Path:
    """SGD with momentum at learning_rate_init=3 (the default is 0.001)."""
    return sklearn_mlp(out, "sklearn_lr_too_high", 51, solver="sgd", momentum=0.9, learning_rate_init=3.0)


def run_sklearn_shuffled_labels(out: Path) -> Path:
    return sklearn_mlp(out, "sklearn_shuffled_labels", 52, shuffle_labels=True, learning_rate_init=1e-3)


RUNS = {
    "healthy": run_healthy,
    "healthy_dropout": run_healthy_dropout,
    "healthy_short": run_healthy_short,
    "healthy_steps": run_healthy_steps,
    "lr_too_high": run_lr_too_high,
    "lr_too_high_nan": run_lr_too_high_nan,
    "lr_too_low": run_lr_too_low,
    "overfitting": run_overfitting,
    "shuffled_labels": run_shuffled_labels,
    "linear_moons": run_linear_on_moons,
    "corrupted_batches": run_corrupted_batches,
    "oscillating": run_oscillating,
    "sklearn_healthy": run_sklearn_healthy,
    "sklearn_lr_too_high": run_sklearn_lr_too_high,
    "sklearn_shuffled_labels": run_sklearn_shuffled_labels,
}


def generate(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    return {name: run(out) for name, run in RUNS.items()}


if __name__ == "__main__":
    import sys
    import time

    start = time.perf_counter()
    paths = generate(Path(sys.argv[1]))
    print(f"{len(paths)} runs in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    for name, path in paths.items():
        print(name, path)
