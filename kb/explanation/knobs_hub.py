"""Hugging Face and Lightning knobs: TrainingArguments (and TRL's configs), Trainer callbacks, PEFT, Accelerate,
the Lightning Trainer's flags and callbacks; and labels set to -100 (ignored by the loss)."""

from __future__ import annotations

import ast

from .knobs import Found, is_off, optimizer_page, read_keywords

TRL_CONFIGS = {"SFTConfig", "DPOConfig", "GRPOConfig", "RewardConfig", "PPOConfig", "ORPOConfig", "KTOConfig"}
LIGHTNING_FLAGS = {
    "max_epochs": "epochs",
    "max_steps": "max_steps",
    "precision": "mixed_precision",
    "gradient_clip_val": "grad_clipping",
    "accumulate_grad_batches": "grad_accumulation",
}


def training_arguments(found: Found, call: ast.Call) -> bool:
    """TrainingArguments(learning_rate=2e-5, per_device_train_batch_size=16, ...): each keyword's line."""
    code = found.code
    name = code.qualname(call.func).split(".")[-1]
    if not (name.endswith("TrainingArguments") or name in TRL_CONFIGS):
        return False
    for keyword in call.keywords:
        if keyword.arg == "optim" and not is_off(keyword.value):
            value = keyword.value
            text = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else ""
            found.add("optimizer", keyword, value, "hf", optimizer_page(text or code.text(value)))
    # max_steps=-1 means "not set": the epochs decide
    read_keywords(found, call, "hf", skip=frozenset({"max_steps"} if _max_steps_unset(code, call) else ()))
    return True


def _max_steps_unset(code, call: ast.Call) -> bool:
    value = next((k.value for k in call.keywords if k.arg == "max_steps"), None)
    return value is not None and code.number(value) in (-1.0, 0.0)


def hf_callbacks(found: Found, call: ast.Call) -> bool:
    code = found.code
    qualname = code.qualname(call.func)
    if qualname.split(".")[-1] != "EarlyStoppingCallback":
        return False
    found.add("early_stopping", call, code.text(call), "hf")
    return True


def lightning_trainer(found: Found, call: ast.Call) -> bool:
    """Trainer(max_epochs=..., precision="16-mixed", gradient_clip_val=..., accumulate_grad_batches=...)."""
    code = found.code
    qualname = code.qualname(call.func)
    if qualname not in ("lightning.pytorch.Trainer", "lightning.pytorch.trainer.Trainer"):
        return False
    for keyword in call.keywords:
        kind = LIGHTNING_FLAGS.get(keyword.arg or "")
        if kind is None:
            continue
        value = keyword.value
        if isinstance(value, ast.Constant) and value.value is None:
            continue  # (an explicit precision=32 is listed: full precision is a choice its reader meets)
        if kind == "max_steps" and code.number(value) == -1.0:
            continue
        found.keyword(keyword, kind, "lightning")
    return True


def lightning_callbacks(found: Found, call: ast.Call) -> bool:
    code = found.code
    qualname = code.qualname(call.func)
    if not qualname.startswith("lightning.pytorch.") or qualname.split(".")[-1] != "EarlyStopping":
        return False
    found.add("early_stopping", call, code.text(call), "lightning")
    return True


def lightning_cli(found: Found, call: ast.Call) -> bool:
    """LightningCLI(..., seed_everything_default=1234, trainer_defaults={"max_epochs": 10})."""
    code = found.code
    if code.qualname(call.func).split(".")[-1] != "LightningCLI":
        return False
    for keyword in call.keywords:
        if keyword.arg == "seed_everything_default" and not is_off(keyword.value):
            found.keyword(keyword, "seed", "lightning")
        elif keyword.arg == "trainer_defaults" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values):
                kind = LIGHTNING_FLAGS.get(key.value) if isinstance(key, ast.Constant) else None
                if kind is not None:
                    found.add(kind, key, value, "lightning")
    return True


CALLS = [training_arguments, hf_callbacks, lightning_trainer, lightning_callbacks, lightning_cli]


def ignored_labels(found: Found) -> None:
    """-100 written into labels (`labels[mask] = -100`, `[-100] * n`): those positions are left out of the loss."""
    code = found.code
    for node in code.nodes[ast.UnaryOp]:
        if not (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and node.operand.value == 100):
            continue
        parent = code.parent.get(node)
        if isinstance(parent, (ast.Compare, ast.arguments, ast.keyword)):
            continue  # `labels != -100` reads the value; a default or keyword is read by the keyword table
        found.add("ignore_index", node, "-100", "hf" if "hf" in code.frameworks else "")


STATEMENTS = [ignored_labels]
