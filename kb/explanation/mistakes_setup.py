"""Likely mistakes in how training is set up, one function per rule: a softmax or sigmoid before a loss that
expects logits, Adam's weight_decay where AdamW was meant, a training DataLoader that does not shuffle, a scaler
fitted on the whole dataset before the split, and random augmentation applied to validation data."""

from __future__ import annotations

import ast

from .code import Code, role_of, words
from .findings import Mistake
from .knobs_keras import AUGMENTATION_ARGS
from .knobs_sklearn import SCALERS
from .knobs_transforms import AUGMENTATIONS
from .mistakes import mistake, where
from .mistakes_shuffle import train_loader_no_shuffle
from .objects import Objects

# loss -> what its input must be; a softmax/sigmoid output fed to it is the mistake
LOGITS_LOSSES = {"CrossEntropyLoss": "logits", "BCEWithLogitsLoss": "logits", "NLLLoss": "log-probabilities"}
LOGITS_LOSSES |= {"cross_entropy": "logits", "binary_cross_entropy_with_logits": "logits"}
LOGITS_LOSSES |= {"nll_loss": "log-probabilities"}
APPLIES = {"CrossEntropyLoss": "log-softmax", "cross_entropy": "log-softmax", "BCEWithLogitsLoss": "sigmoid"}
APPLIES |= {"binary_cross_entropy_with_logits": "sigmoid"}
SHAPE_METHODS = {"view", "reshape", "squeeze", "flatten", "float", "contiguous", "permute", "transpose", "to"}
SPLITS = {"train_test_split", "split", "cross_val_score", "cross_validate", "cross_val_predict", "random_split"}
KERAS_PROBABILITY = {"softmax", "sigmoid"}


def _loss_name(code: Code, objects: Objects, call: ast.Call) -> str | None:
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    if qualname.startswith("torch.nn.functional.") and name in LOGITS_LOSSES:
        return name
    constructor = call.func if isinstance(call.func, ast.Call) else objects.losses.get(code.text(call.func, 200))
    if constructor is not None:
        built = code.qualname(constructor.func).split(".")[-1]
        return built if built in LOGITS_LOSSES else None
    return None


def _unwrap(code: Code, node: ast.AST) -> ast.AST:
    """`out.view(-1, n)` -> `out`: reshaping does not change what the values are."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SHAPE_METHODS:
        node = node.func.value
    return node


def _probability_source(code: Code, objects: Objects, node: ast.AST, at: ast.AST) -> tuple[str, ast.AST] | None:
    """('softmax'|'sigmoid', where) when the loss input is a softmax/sigmoid, directly, through a variable, or
    because the model's forward ends in one."""
    node = _unwrap(code, node)
    for _ in range(3):  # follow a few assignments: probs = F.softmax(out); loss = criterion(probs, y)
        op = objects.probability_op(node)
        if op:
            return op, node
        if isinstance(node, ast.Call):
            forward = isinstance(node.func, ast.Attribute) and node.func.attr == "forward"
            model = code.text(node.func.value if forward else node.func, 200)
            if model in objects.models:
                op = objects.model_output_op(model)
                return (op, node) if op else None
            return None
        if not isinstance(node, ast.Name):
            return None
        assigned = code.assignment(node.id, at)
        if assigned is None:
            return None
        if isinstance(assigned, ast.Tuple):  # output, hidden = model(x)
            return None
        node = _unwrap(code, assigned)
    return None


def softmax_before_logits_loss(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    for call in code.calls:
        loss = _loss_name(code, objects, call)
        first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "input"), None)
        if loss is None or first is None:
            continue
        source = _probability_source(code, objects, first, call)
        if source is None:
            continue
        op, node = source
        expects = LOGITS_LOSSES[loss]
        if expects == "log-probabilities" and op != "softmax":
            continue
        evidence = f"{code.text(call)} on {where(code, call)} gets a {op} output: {code.text(node)}, line {node.lineno}"
        if expects == "logits":
            why = (
                f"{loss} applies the {APPLIES[loss]} itself, so a {op} before it squashes the outputs twice: "
                f"gradients shrink and training stalls; pass the raw logits and apply {op} only when you need "
                "probabilities"
            )
        else:
            why = f"{loss} expects log-probabilities: use log_softmax, or pass raw logits to CrossEntropyLoss"
        title = f"{op} before a loss that expects {expects}"
        found.append(mistake(code, "softmax-before-logits-loss", title, call, call, evidence, why))
    return found + _keras_from_logits(code)


def _keras_layer_op(code: Code, layer: ast.AST) -> str | None:
    if isinstance(layer, ast.Call) and isinstance(layer.func, ast.Call):  # Dense(10, activation=...)(x)
        layer = layer.func
    if not isinstance(layer, ast.Call):
        return None
    name = code.qualname(layer.func).split(".")[-1]
    if name in ("Softmax",):
        return "softmax"
    if name == "Activation" and layer.args:
        value = code.text(layer.args[0]).strip("'\"").split(".")[-1]
        return value if value in KERAS_PROBABILITY else None
    activation = next((k.value for k in layer.keywords if k.arg == "activation"), None)
    if activation is not None:
        value = code.text(activation).strip("'\"").split(".")[-1]
        return value if value in KERAS_PROBABILITY else None
    return None


def _keras_last_layer(code: Code, model: str, before: ast.AST) -> ast.AST | None:
    """The last layer of a Sequential([...]), of model.add(...) calls, or the outputs of Model(inputs, outputs)."""
    added = [c for c in code.calls if code.method(c) == "add" and code.receiver(c) == model and c.args]
    added = [c for c in added if code.order(c) < code.order(before)]
    if added:
        return added[-1].args[0]
    built = code.assignment(model, before) if model.isidentifier() else None
    if not isinstance(built, ast.Call):
        return None
    name = code.qualname(built.func).split(".")[-1]
    if name == "Sequential" and built.args and isinstance(built.args[0], (ast.List, ast.Tuple)) and built.args[0].elts:
        return built.args[0].elts[-1]
    if name in ("Model", "Functional"):
        outputs = next((k.value for k in built.keywords if k.arg == "outputs"), None)
        if outputs is None and len(built.args) > 1:
            outputs = built.args[1]
        if isinstance(outputs, ast.Name):
            outputs = code.assignment(outputs.id, built)
        return outputs
    return None


def _keras_from_logits(code: Code) -> list[Mistake]:
    """Keras: a loss built with from_logits=True on a model whose last layer is a softmax or sigmoid."""
    found = []
    for call in code.calls:
        if code.method(call) != "compile":
            continue
        loss = next((k.value for k in call.keywords if k.arg == "loss"), None)
        if isinstance(loss, ast.Name):
            loss = code.assignment(loss.id, call)
        if not isinstance(loss, ast.Call):
            continue
        logits = next((k.value for k in loss.keywords if k.arg == "from_logits"), None)
        if not (isinstance(logits, ast.Constant) and logits.value is True):
            continue
        layer = _keras_last_layer(code, code.receiver(call), call)
        op = _keras_layer_op(code, layer) if layer is not None else None
        if op is None:
            continue
        evidence = (
            f"the loss on {where(code, loss)} has from_logits=True; the model ends in a {op} (line {layer.lineno})"
        )
        why = (
            f"from_logits=True makes the loss apply the {op} again to outputs that already are probabilities: "
            f"gradients shrink and training stalls; drop the {op} activation or set from_logits=False"
        )
        title = f"{op} output with from_logits=True"
        found.append(mistake(code, "softmax-before-logits-loss", title, loss, call, evidence, why))
    return found


def _resolves_to_zero(code: Code, value: ast.AST) -> bool:
    """0, or a name set to 0 where kb can see it (a constant, a local `WEIGHT_DECAY = 0`, a parameter default)."""
    if code.number(value) == 0:
        return True
    resolved = code.resolve(value) if isinstance(value, (ast.Name, ast.Attribute)) else None
    try:
        return resolved is not None and ast.literal_eval(resolved[0]) == 0
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def adam_weight_decay(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    for call in code.calls:
        qualname = code.qualname(call.func)
        bare = qualname == "Adam" and "keras" not in code.frameworks  # pasted without its import
        if qualname not in ("torch.optim.Adam", "torch.optim.adam.Adam") and not bare:
            continue
        decay = next((k for k in call.keywords if k.arg == "weight_decay"), None)
        if decay is None or _resolves_to_zero(code, decay.value):
            continue
        evidence = f"{code.text(call.func)}(..., weight_decay={code.text(decay.value)}) on {where(code, decay)}"
        why = (
            "Adam's weight_decay is an L2 penalty added to the gradient, which Adam's scaling nearly cancels for "
            "weights with large gradients; torch.optim.AdamW decays every weight evenly and usually generalizes "
            "better (Loshchilov & Hutter, 2019). Re-tune the value if you switch: AdamW multiplies it by the "
            "learning rate, so an L2 value like 5e-4 does next to nothing there (AdamW's default is 0.01)"
        )
        # Minor, not likely: coupled L2 with Adam is a documented choice that works, only usually less well, and
        # whole families of recipes use it on purpose (GCN's Adam with 5e-4; 2017-era scripts written before
        # AdamW existed). Blind labellers called it a mistake in 2 of the 6 real scripts where kb finds it, and
        # "switch to AdamW" alone would quietly remove the regularization the recipe relies on.
        title = "Adam(weight_decay=...): an L2 penalty, not AdamW's decoupled decay"
        found.append(mistake(code, "adam-weight-decay", title, decay, decay, evidence, why, severity="minor"))
    return found


def _scaler_fits(code: Code) -> list[ast.Call]:
    scalers = {
        code.text(t, 200)
        for a in code.nodes[ast.Assign]
        if isinstance(a.value, ast.Call) and code.qualname(a.value.func).split(".")[-1] in SCALERS
        for t in a.targets
    }
    fits = []
    for call in code.calls:
        if (
            code.method(call) not in ("fit", "fit_transform")
            or not call.args
            or not isinstance(call.func, ast.Attribute)
        ):
            continue  # a bare `fit(loader)` is a function of the script's own, not a scaler's method
        owner = call.func.value
        built_here = isinstance(owner, ast.Call) and code.qualname(owner.func).split(".")[-1] in SCALERS
        if built_here or code.text(owner, 200) in scalers:
            fits.append(call)
    return fits


def normalization_fit_before_split(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    for fit in _scaler_fits(code):
        data = code.text(fit.args[0], 200)
        if any(w.startswith("train") for w in words(data)):
            continue
        scaled = {data} if code.method(fit) == "fit" else set()
        scaled |= set(code.assigned_name(fit).split()) if code.method(fit) == "fit_transform" else set()
        scope = code.function_of(fit)
        for call in code.calls:
            if code.order(call) <= code.order(fit) or code.function_of(call) is not scope:
                continue
            if code.method(call) not in SPLITS:
                continue
            arguments = [code.text(a, 200) for a in call.args[:2]]
            if scaled & set(arguments):
                evidence = (
                    f"{code.text(fit)} on {where(code, fit)} learns its statistics from all of {data}, which "
                    f"{code.text(call.func)}(...) splits afterwards (line {call.lineno})"
                )
                why = (
                    "the test rows' mean and spread leak into training, so the test score is optimistic; fit "
                    "the scaler on the training split only (or put it in a Pipeline)"
                )
                title = "Normalization fitted before the split"
                found.append(mistake(code, "normalization-fit-before-split", title, fit, call, evidence, why))
                break
    return found


def _compose_steps(code: Code, compose: ast.Call) -> list[ast.AST]:
    """The transforms of Compose([...]), also of Compose(steps) where `steps = [...]` grew by `steps.append(...)`."""
    steps = compose.args[0] if compose.args else None
    if isinstance(steps, (ast.List, ast.Tuple)):
        return list(steps.elts)
    if not isinstance(steps, ast.Name):
        return []
    built = code.assignment(steps.id, compose)
    found = list(built.elts) if isinstance(built, (ast.List, ast.Tuple)) else []
    scope = code.function_of(compose)
    for call in code.calls:
        if code.order(call) >= code.order(compose) or code.function_of(call) is not scope:
            continue
        if code.method(call) == "append" and code.receiver(call) == steps.id and call.args:
            found.append(call.args[0])
    return found


def _augmentations(code: Code, compose: ast.AST) -> list[ast.Call]:
    if not (isinstance(compose, ast.Call) and code.qualname(compose.func).split(".")[-1] == "Compose"):
        return []
    return [
        s
        for s in _compose_steps(code, compose)
        if isinstance(s, ast.Call)
        and (code.qualname(s.func).split(".")[-1].startswith("Random") or code.method(s) in AUGMENTATIONS)
    ]


def _dataset_role(code: Code, call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "train" and isinstance(keyword.value, ast.Constant):
            return "train" if keyword.value.value else "eval"
        if keyword.arg in ("split", "subset") and isinstance(keyword.value, ast.Constant):
            return role_of(str(keyword.value.value))
    return role_of(code.assigned_name(call)) or (role_of(code.text(call.args[0], 200)) if call.args else None)


def _compose_role(code: Code, compose: ast.Call) -> str | None:
    parent = code.parent.get(compose)
    if isinstance(parent, ast.Dict):  # {'train': Compose([...]), 'val': Compose([...])}
        key = parent.keys[parent.values.index(compose)] if compose in parent.values else None
        return role_of(str(key.value)) if isinstance(key, ast.Constant) else None
    if isinstance(parent, ast.keyword):
        parent = code.parent.get(parent)
    if isinstance(parent, ast.Call) and parent is not compose:
        return _dataset_role(code, parent)
    return role_of(code.assigned_name(compose))


def val_augmented(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    why = (
        "validation should measure the model on the data as it is: random transforms make the score noisy and "
        "lower, and it no longer matches the test set; keep validation to resizing, cropping the centre and "
        "normalizing"
    )
    title = "Random augmentation on validation data"
    for compose in code.calls:
        augmentations = _augmentations(code, compose)
        if augmentations and _compose_role(code, compose) == "eval":
            names = ", ".join(code.text(a.func) for a in augmentations)
            evidence = f"the validation transforms on {where(code, compose)} include {names}"
            found.append(mistake(code, "val-augmented", title, augmentations[0], compose, evidence, why))
    for dataset in code.calls:  # CIFAR10(train=False, transform=train_transform)
        transform = next((k.value for k in dataset.keywords if k.arg == "transform"), None)
        if not isinstance(transform, ast.Name) or _dataset_role(code, dataset) != "eval":
            continue
        built = code.assignment(transform.id, dataset)
        augmentations = _augmentations(code, built)
        if augmentations and _compose_role(code, built) != "eval":
            names = ", ".join(code.text(a.func) for a in augmentations)
            evidence = (
                f"the validation data on {where(code, dataset)} uses transform={transform.id}, which includes "
                f"{names} (line {built.lineno})"
            )
            found.append(mistake(code, "val-augmented", title, dataset, dataset, evidence, why))
    return found + _keras_generator(code, title, why)


def _switched_on(code: Code, value: ast.AST) -> bool:
    if isinstance(value, ast.Constant) and value.value is True:
        return True
    number = code.number(value)
    return number is not None and number != 0


def _keras_generator(code: Code, title: str, why: str) -> list[Mistake]:
    """An ImageDataGenerator with augmentation switched on, used to feed validation data."""
    augmenting = {}
    for assign in code.nodes[ast.Assign]:
        value = assign.value
        if isinstance(value, ast.Call) and code.qualname(value.func).split(".")[-1] == "ImageDataGenerator":
            if any(k.arg in AUGMENTATION_ARGS and _switched_on(code, k.value) for k in value.keywords):
                augmenting.update({code.text(t, 200): value for t in assign.targets})
    found = []
    for call in code.calls:
        if not code.method(call).startswith("flow") or code.receiver(call) not in augmenting:
            continue
        texts = [code.text(a, 200) for a in call.args[:1]] + [code.assigned_name(call)]
        texts += [code.text(k.value, 200) for k in call.keywords if k.arg in ("directory", "subset")]
        if role_of(*texts) == "eval":
            generator = augmenting[code.receiver(call)]
            evidence = (
                f"{code.text(call, 60)} on {where(code, call)} feeds validation data through a generator that "
                f"augments (line {generator.lineno})"
            )
            found.append(mistake(code, "val-augmented", title, call, call, evidence, why))
    return found


SETUP_RULES = [
    softmax_before_logits_loss,
    adam_weight_decay,
    train_loader_no_shuffle,
    normalization_fit_before_split,
    val_augmented,
]
