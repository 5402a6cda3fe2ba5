"""The knobs a training script sets: the kinds (each with its page), how a knob is recorded, and the keyword table.

Each framework's finders live in a module of their own (knobs_torch, knobs_keras, knobs_hub for Hugging Face and
Lightning, knobs_sklearn); kb.explanation.find_knobs runs them once over every call, and a finder claims the calls
it knows. A call no finder claims still has its keyword arguments read through one table (`lr=`, `batch_size=`,
`epochs=`, `seed=`, ...), so a script's own helper `train(model, lr=0.01)` is read too. A knob is where the code
sets it: the keyword's line, the constructor's line, the `for epoch in range(...)` line.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from .code import Code, role_of
from .findings import Kind, Knob

KINDS: dict[str, Kind] = {
    "optimizer": Kind("optimizer", "learning-rate", ()),  # the optimizer pages are about it: their first sentence
    "learning_rate": Kind("learning rate", "learning-rate", ("learning rate",)),
    "momentum": Kind("momentum", "sgd-momentum", ("momentum",)),
    "betas": Kind("Adam betas", "adam", ("beta1", "beta2", "betas")),
    "weight_decay": Kind("weight decay", "weight-decay", ("weight decay",)),
    "lr_schedule": Kind("learning-rate schedule", "learning-rate-schedule", ("decay", "schedule")),
    "warmup": Kind("warmup", "warmup", ("warmup", "ramp")),
    "batch_size": Kind("batch size", "batch-size", ("batch size",)),
    "epochs": Kind("number of epochs", "training-length", ("train longer", "steps")),
    "max_steps": Kind("number of training steps", "training-length", ("steps",)),
    "grad_accumulation": Kind("gradient accumulation", "gradient-accumulation", ("effective batch",)),
    "loss": Kind("loss function", "loss-function-choice", ("loss",)),
    "label_smoothing": Kind("label smoothing", "label-smoothing", ("label smoothing",)),
    "pos_weight": Kind("positive-class weight", "class-imbalance", ("pos_weight",)),
    "class_weight": Kind("class weights", "class-imbalance", ("weight the loss", "class weight")),
    "ignore_index": Kind("ignored label (-100)", "sequence-length-and-padding", ("-100",)),
    "dropout": Kind("dropout", "dropout", ("dropout",)),
    "normalization_layer": Kind("normalization layer", "normalization-layers", ("batchnorm",)),
    "weight_init": Kind("weight initialization", "weight-initialization", ("init",)),
    "augmentation": Kind("data augmentation", "data-augmentation", ("transforms",)),
    "input_normalization": Kind("input normalization", "input-normalization", ("standardize", "scale")),
    "mixed_precision": Kind("mixed precision", "mixed-precision", ("fp16", "bf16")),
    "grad_scaler": Kind("gradient scaling", "mixed-precision", ("gradscaler", "underflow")),
    "grad_clipping": Kind("gradient clipping", "exploding-gradients", ("clip",)),
    "early_stopping": Kind("early stopping", "early-stopping", ("patience",)),
    "seed": Kind("seed", "reproducibility", ("seed",)),
    "shuffle": Kind("shuffling", "data-shuffling", ("shuffle",)),
    "model_estimator": Kind("estimator and its hyperparameters", "bias-variance", ("model",)),
}

ADAPTIVE_OPTIMIZERS = {"adam", "adamw", "adamax", "nadam", "radam", "rmsprop", "adagrad", "adadelta", "sparseadam"}
ADAPTIVE_OPTIMIZERS |= {"adafactor", "lion", "lamb", "adamw8bit", "adam8bit", "pagedadamw", "pagedadamw8bit"}
ADAPTIVE_OPTIMIZERS |= {"fusedadam", "adabelief", "adamp", "ftrl"}
SGD_OPTIMIZERS = {"sgd", "asgd", "sgdw", "nesterov"}


def optimizer_page(name: str) -> str:
    """Adaptive optimizers (Adam and its family, RMSprop, Adagrad...) -> adam; SGD -> sgd-momentum; others -> lr."""
    key = name.lower().replace("_", "").replace("torch", "").replace("hf", "")
    if any(key.startswith(p) for p in ADAPTIVE_OPTIMIZERS):
        return "adam"
    if any(key.startswith(p) for p in SGD_OPTIMIZERS):
        return "sgd-momentum"
    return "learning-rate"


# keyword -> kind, for calls no finder claims (and for the keywords of calls a finder hands over).
KEYWORDS = {
    "lr": "learning_rate",
    "learning_rate": "learning_rate",
    "learning_rate_init": "learning_rate",
    "momentum": "momentum",
    "betas": "betas",
    "beta_1": "betas",
    "beta_2": "betas",
    "adam_beta1": "betas",
    "adam_beta2": "betas",
    "weight_decay": "weight_decay",
    "lr_scheduler_type": "lr_schedule",
    "warmup_steps": "warmup",
    "warmup_ratio": "warmup",
    "num_warmup_steps": "warmup",
    "warmup_epochs": "warmup",
    "batch_size": "batch_size",
    "per_device_train_batch_size": "batch_size",
    "per_gpu_train_batch_size": "batch_size",
    "train_batch_size": "batch_size",
    "epochs": "epochs",
    "nb_epoch": "epochs",
    "num_epochs": "epochs",
    "n_epochs": "epochs",
    "max_epochs": "epochs",
    "num_train_epochs": "epochs",
    "max_steps": "max_steps",
    "num_train_steps": "max_steps",
    "gradient_accumulation_steps": "grad_accumulation",
    "accumulate_grad_batches": "grad_accumulation",
    "label_smoothing": "label_smoothing",
    "label_smoothing_factor": "label_smoothing",
    "pos_weight": "pos_weight",
    "class_weight": "class_weight",
    "class_weights": "class_weight",
    "ignore_index": "ignore_index",
    "kernel_initializer": "weight_init",
    "kernel_regularizer": "weight_decay",
    "fp16": "mixed_precision",
    "bf16": "mixed_precision",
    "mixed_precision": "mixed_precision",
    "max_grad_norm": "grad_clipping",
    "gradient_clip_val": "grad_clipping",
    "clipnorm": "grad_clipping",
    "clipvalue": "grad_clipping",
    "global_clipnorm": "grad_clipping",
    "seed": "seed",
    "data_seed": "seed",
    "random_state": "seed",
    "early_stopping_patience": "early_stopping",
    "early_stopping_rounds": "early_stopping",
    "n_iter_no_change": "early_stopping",
}
# Calls whose keywords are reports, logs or arguments being declared, not settings.
NOT_SETTINGS = {"print", "format", "log", "info", "debug", "warning", "add_argument", "add_scalar", "log_dict"}
NOT_SETTINGS |= {"log_metrics", "log_params", "dict", "get", "setdefault", "pop", "getattr", "setattr", "Namespace"}
# Calls that evaluate or preprocess: their batch size is not the training batch size.
NOT_TRAINING = {"evaluate", "predict", "predict_on_batch", "test_on_batch", "predict_generator", "evaluate_generator"}
NOT_TRAINING |= {"map", "filter", "test", "validate", "generate", "encode", "tokenizer", "pipeline"}
# Calls whose seed makes data or analyses a model: not a training knob.
SEED_ELSEWHERE = ("make_", "load_", "fetch_", "permutation_importance", "learning_curve", "validation_curve")


def is_dropout_keyword(name: str) -> bool:
    lowered = name.lower()
    if lowered == "drop_rate" or lowered.endswith("_drop_rate"):  # timm's and many GPT configs' name for it
        return True
    if lowered.endswith("pdrop"):  # GPT-2's and minGPT's config names: embd_pdrop, resid_pdrop, attn_pdrop
        return True
    return "dropout" in lowered and not lowered.endswith("_layer")


class Found:
    """The knobs found so far, built with the code's positions and resolved values."""

    def __init__(self, code: Code):
        self.code = code
        self.knobs: list[Knob] = []

    def add(
        self, kind: str, node: ast.AST, value=None, framework: str = "", slug: str | None = None, group=None
    ) -> None:
        """A knob of `kind` at `node`'s line; `value` an expression (resolved when it is a name) or a text."""
        code = self.code
        text = value if isinstance(value, str) else code.text(value if value is not None else node)
        resolved = None if isinstance(value, str) or value is None else code.resolve(value)
        self.knobs.append(
            Knob(
                kind=kind,
                label=KINDS[kind].label,
                line=node.lineno,
                cell=code.cell_index(node),
                value=text,
                resolved=resolved[0] if resolved else None,
                resolved_from=resolved[1] if resolved else None,
                framework=framework,
                slug=slug or KINDS[kind].page,
                order=code.order(node),
                group=group,
            )
        )

    def keyword(self, keyword: ast.keyword, kind: str, framework: str = "", slug=None, group=None) -> None:
        # an explicit `fp16=False` is listed too: the script chose full precision, and its reader meets the knob
        self.add(kind, keyword, keyword.value, framework, slug, group)


def is_off(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, None, 0, "no", "32", "32-true", "")


def keyword_kind(name: str) -> str | None:
    if name in KEYWORDS:
        return KEYWORDS[name]
    return "dropout" if is_dropout_keyword(name) else None


SPLIT_KEYWORDS = {"mode", "split", "subset", "stage", "phase"}  # keywords that name which data a call is for


def read_keywords(found: Found, call: ast.Call, framework: str = "", skip: frozenset = frozenset()) -> None:
    """The table's keywords of a call (`lr=`, `epochs=`, ...), except those in `skip` and unset ones (None)."""
    code = found.code
    method = code.method(call)
    if method in NOT_SETTINGS:
        return
    training = method not in NOT_TRAINING and role_of(method) != "eval"
    # a loader built for validation says so in its name or its split: `val_loader = get_dataloader(mode="val", ...)`
    split = [k.value.value for k in call.keywords if k.arg in SPLIT_KEYWORDS and isinstance(k.value, ast.Constant)]
    if role_of(code.assigned_name(call), *[v for v in split if isinstance(v, str)]) == "eval":
        training = False
    for keyword in call.keywords:
        if keyword.arg is None or keyword.arg in skip:
            continue
        kind = keyword_kind(keyword.arg)
        if kind is None or (isinstance(keyword.value, ast.Constant) and keyword.value.value is None):
            continue
        if kind in ("batch_size", "epochs", "shuffle") and not training:
            continue
        if kind == "seed" and method.startswith(SEED_ELSEWHERE):
            continue
        found.keyword(keyword, kind, framework, group=id(call))


def dropout_arguments(found: Found, call: ast.Call, framework: str = "") -> None:
    """A rate named for dropout handed to a constructor by position: `RNNModel(..., args.dropout)`. (Only dropout:
    a batch size or a learning rate named this way also sizes tensors and prints, a dropout rate only configures.)"""
    code = found.code
    if not code.method(call)[:1].isupper():
        return
    for argument in call.args:
        if isinstance(argument, (ast.Name, ast.Attribute)) and is_dropout_keyword(code.text(argument).split(".")[-1]):
            found.add("dropout", argument, argument, framework, group=id(call))


BATCH_SIZE_NAMES = {"batch_size", "batchsize", "bsz", "batch_sz"}


def batch_size_fallback(found: Found) -> None:
    """When no loader, fit() or TrainingArguments names a batch size: the first call the batch-size setting is
    handed to (`batchify(corpus.train, args.batch_size)`: where the batch size reaches the data)."""
    code = found.code
    if any(k.kind == "batch_size" for k in found.knobs):
        return
    for call in code.calls:
        if code.method(call) in NOT_SETTINGS or code.method(call) in NOT_TRAINING:
            continue
        for argument in call.args + [k.value for k in call.keywords]:
            name = code.text(argument, 200).split(".")[-1].lower()
            if not isinstance(argument, (ast.Name, ast.Attribute)) or name not in BATCH_SIZE_NAMES:
                continue
            if isinstance(argument, ast.Name) and code.is_parameter(argument):
                continue  # a function's own parameter: the setting is where the function is called
            if isinstance(argument, ast.Name) and _computed_locally(code, argument):
                continue  # `batch_size, n = x.size()`: a shape read from a tensor, not a setting
            found.add("batch_size", argument, argument, framework_of(code, call))
            return


def _computed_locally(code: Code, name: ast.Name) -> bool:
    fn = code.function_of(name)
    if fn is None:
        return False
    for assign in code.nodes[ast.Assign]:
        if code.function_of(assign) is not fn:
            continue
        names = {n.id for t in assign.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if name.id in names and code.number(assign.value) is None:
            return True
    return False


def settings_defined(found: Found) -> None:
    """Settings written down but handed to no call kb reads (`learning_rate = 6e-4` passed to a model's own
    method, `C.trainer.learning_rate = 5e-4`, `{"drop_rate": 0.1}` in a config dict): reported where they are
    set, when no knob already shows that value as resolved from there."""
    code = found.code
    covered = {(k.cell, k.resolved_from) for k in found.knobs if k.resolved_from}
    at = {(k.cell, k.line) for k in found.knobs}  # a line that already shows a knob (an estimator's **params entry)
    # keys and attributes the file reads back itself (`settings["lr"]`, `hyp['opt']['lr']`, `config.lr`): the
    # setting reaches kb where it is used, so the definition is not reported a second time
    keyed = [n for n in code.nodes[ast.Subscript] if isinstance(n.slice, ast.Constant)]
    read = {n.slice.value for n in keyed}
    read_back = {n.slice.value for n in keyed if isinstance(n.ctx, ast.Load)}  # loads only, not `d["k"] = ...`
    read |= {n.attr for n in code.nodes[ast.Attribute] if isinstance(n.ctx, ast.Load)}

    def report(kind: str, node: ast.AST, value: ast.AST) -> None:
        cell, where = code.cell_index(node), f"line {node.lineno}"
        # a knob in the same cell says "line 2"; one in a later notebook cell says "cell 5 line 2"
        there = where if cell is None else f"cell {cell} {where}"

        def names_it(r: str, place: str) -> bool:
            return r == place or r.endswith(f" {place}") or r.startswith(f"{place},")

        if (cell, node.lineno) in at or any(
            (c == cell and names_it(r, where)) or names_it(r, there) for c, r in covered
        ):
            return
        found.add(kind, node, value, framework_of_code(code))
        at.add((cell, node.lineno))

    for assign in code.nodes[ast.Assign] + code.nodes[ast.AnnAssign]:
        targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
        if len(targets) != 1 or assign.value is None or code.number(assign.value) is None:
            continue
        target = targets[0]
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
            key = target.slice.value  # `extra_kwargs["dropout"] = 0.1`: an entry of a settings dict
            literal = isinstance(assign.value, (ast.Constant, ast.UnaryOp))  # `group["lr"] = lr` is a schedule
            if isinstance(key, str) and literal and key not in read_back and keyword_kind(key) is not None:
                report(keyword_kind(key), assign, assign.value)
            continue
        if isinstance(target, ast.Name) and code.function_of(assign) is not None:
            continue  # a local of a function: read where the function is called, not here
        if isinstance(target, ast.Attribute) and name in read:
            continue
        kind = keyword_kind(name) if name else None
        if kind is not None:
            report(kind, assign, assign.value)
    for table in code.nodes[ast.Dict]:
        for key, value in zip(table.keys, table.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and code.number(value) is not None:
                if key.value in read:
                    continue
                kind = keyword_kind(key.value)
                if kind is not None:
                    report(kind, key, value)
    for call in code.calls:  # the same table written `dict(embd_pdrop=0.1, ...)`
        if not (isinstance(call.func, ast.Name) and call.func.id == "dict"):
            continue
        for keyword in call.keywords:
            literal = isinstance(keyword.value, (ast.Constant, ast.UnaryOp))  # a name: its definition is reported
            if keyword.arg and keyword.arg not in read and literal and code.number(keyword.value) is not None:
                kind = keyword_kind(keyword.arg)
                if kind is not None:
                    report(kind, keyword, keyword.value)


def framework_of_code(code: Code) -> str:
    for name in ("pytorch", "keras", "hf", "lightning", "sklearn"):
        if name in code.frameworks:
            return name
    return ""


def framework_of(code: Code, call: ast.Call) -> str:
    qualname = code.qualname(call.func)
    for prefix, name in (
        ("torch", "pytorch"),
        ("keras", "keras"),
        ("tensorflow", "keras"),
        ("transformers", "hf"),
        ("trl", "hf"),
        ("peft", "hf"),
        ("accelerate", "hf"),
        ("lightning", "lightning"),
        ("sklearn", "sklearn"),
    ):
        if qualname.startswith(prefix):
            return name
    return ""


def merged(knobs: list[Knob]) -> list[Knob]:
    """In source order; a knob found twice kept once, and one call's knobs of a kind on one line made one
    (`LSTM(128, dropout_W=0.2, dropout_U=0.2)` is one dropout knob)."""
    unique: dict[tuple, Knob] = {}
    for knob in sorted(knobs, key=lambda k: k.order):
        key = (knob.kind, knob.cell, knob.line, knob.group if knob.group is not None else knob.value)
        if key in unique and knob.group is not None:
            first = unique[key]
            if knob.value not in first.value.split(", "):
                unique[key] = replace(first, value=f"{first.value}, {knob.value}", resolved=None, resolved_from=None)
        else:
            unique.setdefault(key, knob)
    return list(unique.values())
