"""Keras and TensorFlow knobs: `compile`, `fit` and its generators, optimizers, callbacks, layers, ImageDataGenerator,
tf.data pipelines and Keras Tuner search spaces; and pixels scaled by 255 in any framework."""

from __future__ import annotations

import ast

from .code import Code, role_of, words
from .knobs import Found, keyword_kind, optimizer_page, read_keywords

AUGMENTATION_ARGS = {"rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range"}
AUGMENTATION_ARGS |= {"channel_shift_range", "horizontal_flip", "vertical_flip", "brightness_range"}
SCALING_ARGS = {"rescale", "featurewise_center", "featurewise_std_normalization", "samplewise_center"}
SCALING_ARGS |= {"samplewise_std_normalization", "zca_whitening"}
DROPOUT_LAYERS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout"}
DROPOUT_LAYERS |= {"AlphaDropout"}
NORM_LAYERS = {"BatchNormalization", "LayerNormalization", "GroupNormalization"}
INPUT_SCALING_LAYERS = {"Rescaling", "Normalization"}
CALLBACKS = {"EarlyStopping": "early_stopping", "ReduceLROnPlateau": "lr_schedule"}
CALLBACKS |= {"LearningRateScheduler": "lr_schedule"}
DATA_CALLS = {"fit", "fit_generator", "flow", "flow_from_directory", "flow_from_dataframe"}
DATA_CALLS |= {"image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"}
TF_DATA_CHAIN = {"from_tensor_slices", "from_generator", "shuffle", "map", "batch", "prefetch", "cache", "repeat"}
BOOSTING_MODULES = {"lightgbm", "xgboost", "catboost"}
TUNER_CALLS = {"Choice", "Float", "Int", "suggest_float", "suggest_int", "suggest_categorical", "suggest_loguniform"}
TUNER_CALLS |= {"suggest_uniform", "suggest_discrete_uniform"}  # Optuna 2 names, still common
TUNER_RECEIVERS = {"hp", "hps", "hparams", "trial"}


def _keras(code: Code, call: ast.Call) -> str | None:
    qualname = code.qualname(call.func)
    return qualname[len("keras.") :] if qualname.startswith("keras.") else None


def optimizers(found: Found, call: ast.Call) -> bool:
    code = found.code
    path = _keras(code, call)
    if path is None or not path.startswith("optimizers."):
        return False
    name = path.split(".")[-1]
    if path.startswith("optimizers.schedules."):
        found.add("lr_schedule", call, code.text(call.func), "keras")
        return True
    found.add("optimizer", call, code.text(call.func), "keras", optimizer_page(name))
    if call.args and not any(k.arg in ("lr", "learning_rate") for k in call.keywords):
        found.add("learning_rate", call.args[0], call.args[0], "keras")
    for keyword in call.keywords:
        if keyword.arg == "decay":  # Keras 2: lr / (1 + decay * iterations), a time-based schedule
            found.keyword(keyword, "lr_schedule", "keras")
    read_keywords(found, call, "keras")
    return True


def _constructed(code: Code, value: ast.AST, before: ast.AST) -> bool:
    """A name assigned from a call (reported where it is built), not a plain value."""
    if not isinstance(value, ast.Name):
        return False
    assigned = code.assignment(value.id, before)
    return isinstance(assigned, ast.Call)


def compile_(found: Found, call: ast.Call) -> bool:
    """`model.compile(optimizer='adam', loss='categorical_crossentropy')`: strings and references set them here;
    an optimizer or loss built by a call is reported at that call. Keras' signature is compile(optimizer, loss,
    metrics, ...), and older scripts pass them by position: `model.compile(Adam(1e-3), 'categorical_crossentropy')`
    (only on a model of a Keras script: `re.compile` and `torch.compile` are imported functions)."""
    code = found.code
    if code.method(call) != "compile":
        return False
    settings = [(k.arg, k, k.value) for k in call.keywords if k.arg in ("optimizer", "loss")]
    if "keras" in code.frameworks and not code.is_imported(call.func):
        settings += [(name, arg, arg) for name, arg in zip(("optimizer", "loss"), call.args)]
    if not settings:
        return False
    for name, node, value in settings:
        if isinstance(value, ast.Call) or _constructed(code, value, call):
            continue
        if isinstance(value, ast.Constant) and not isinstance(value.value, str):
            continue
        if name == "optimizer":
            text = value.value if isinstance(value, ast.Constant) else ""
            found.add("optimizer", node, value, "keras", optimizer_page(text or code.text(value)))
        else:
            found.add("loss", node, value, "keras")
    return True


def losses(found: Found, call: ast.Call) -> bool:
    code = found.code
    path = _keras(code, call)
    if path is None or not path.startswith("losses."):
        return False
    if path.split(".")[-1][:1].isupper():
        found.add("loss", call, code.text(call), "keras")
        for keyword in call.keywords:
            if keyword.arg == "label_smoothing":
                found.keyword(keyword, "label_smoothing", "keras")
    return True


def layers(found: Found, call: ast.Call) -> bool:
    code = found.code
    path = _keras(code, call)
    if path is None or not path.startswith("layers."):
        return False
    name = path.split(".")[-1]
    if name in DROPOUT_LAYERS:
        found.add("dropout", call, code.text(call), "keras")
    elif name in NORM_LAYERS:
        found.add("normalization_layer", call, code.text(call), "keras")
    elif name.startswith("Random"):
        found.add("augmentation", call, code.text(call), "keras")
    elif name in INPUT_SCALING_LAYERS:
        found.add("input_normalization", call, code.text(call), "keras")
    read_keywords(found, call, "keras")  # Embedding(dropout=0.2), LSTM(recurrent_dropout=...), kernel_initializer=
    return True


def callbacks(found: Found, call: ast.Call) -> bool:
    code = found.code
    path = _keras(code, call)
    name = code.qualname(call.func).split(".")[-1]
    if path is None or not path.startswith("callbacks.") or name not in CALLBACKS:
        return False
    found.add(CALLBACKS[name], call, code.text(call), "keras")
    return True


def image_generator(found: Found, call: ast.Call) -> bool:
    """ImageDataGenerator: the augmentations switched on, and the input scaling it applies."""
    code = found.code
    if code.qualname(call.func).split(".")[-1] != "ImageDataGenerator":
        return False
    for keyword in call.keywords:
        if keyword.arg not in AUGMENTATION_ARGS | SCALING_ARGS:
            continue
        value = code.number(keyword.value)
        if isinstance(keyword.value, ast.Constant) and keyword.value.value in (None, False, 0, 0.0, ""):
            continue
        if value == 0:
            continue
        kind = "augmentation" if keyword.arg in AUGMENTATION_ARGS else "input_normalization"
        found.keyword(keyword, kind, "keras")
    return True


def data_calls(found: Found, call: ast.Call) -> bool:
    """fit / fit_generator / flow...: batch size, epochs, shuffle and class weights of the training data."""
    code = found.code
    method = code.method(call)
    if method not in DATA_CALLS:
        return False
    if method.startswith("flow") or method.endswith("from_directory"):
        data = [code.text(a, 200) for a in call.args[:1]] + [code.assigned_name(call)]
        data += [code.text(k.value, 200) for k in call.keywords if k.arg in ("directory", "subset")]
        if role_of(*data) == "eval":
            return True
    read_keywords(found, call, "keras")
    for keyword in call.keywords:
        if keyword.arg == "shuffle":
            found.keyword(keyword, "shuffle", "keras")
    return True


def tf_data(found: Found, call: ast.Call) -> bool:
    """`ds.shuffle(10000).batch(32)` on training data; `train_data.shuffle()` (Hugging Face datasets) too."""
    code = found.code
    method = code.method(call)
    if method not in ("shuffle", "batch") or code.is_imported(call.func) or not isinstance(call.func, ast.Attribute):
        return False
    receiver = code.receiver(call)
    chain = {code.method(c) for c in ast.walk(call.func.value) if isinstance(c, ast.Call)}
    if method == "batch" and not (chain & TF_DATA_CHAIN or {"ds", "dataset", "data"} & set(words(receiver))):
        return False
    if (role_of(code.assigned_name(call)) or role_of(receiver)) == "eval":
        return True
    if method == "shuffle":
        found.add("shuffle", call, code.text(call), "keras" if "keras" in code.frameworks else "")
        read_keywords(found, call)
    elif call.args:
        found.add("batch_size", call.args[0], call.args[0], "keras")
    return True


def tuner(found: Found, call: ast.Call) -> bool:
    """Search spaces: Keras Tuner `hp.Choice('learning_rate', ...)`, Optuna `trial.suggest_float('lr', ...)`."""
    code = found.code
    if code.method(call) not in TUNER_CALLS or not call.args or not isinstance(call.args[0], ast.Constant):
        return False
    if not set(words(code.receiver(call))) & TUNER_RECEIVERS:
        return False
    name = str(call.args[0].value)
    if any(m.split(".")[0] in BOOSTING_MODULES for m in code.imports.values()):
        # a search over a boosted-tree model's parameters (`param["num_leaves"] = trial.suggest_int(...)`): each is
        # a hyperparameter of the trees, whatever its name (LightGBM DART's drop_rate is no dropout); one in a
        # params dict is reported with the dict's entries
        if isinstance(code.parent.get(call), ast.Dict):
            return False
        found.add("model_estimator", call, code.text(call), "sklearn", "hyperparameter-search")
        return True
    kind = keyword_kind(name) or ("learning_rate" if words(name) in (["lr"], ["learning", "rate"]) else None)
    if kind is None:
        return False
    found.add(kind, call, code.text(call), "keras")
    return True


CALLS = [optimizers, compile_, losses, layers, callbacks, image_generator, data_calls, tf_data, tuner]


def _divides_by_255(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in (255, 255.0)


def _standardizes(code, node: ast.AST) -> bool:
    """`(x - mean[i]) / std[i]`, `(X - X.mean(0)) / X.std(0)`: inputs standardized by hand."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Sub)):
        return False
    return "mean" in words(code.text(node.left.right, 200)) and {"std", "stddev", "sigma"} & set(
        words(code.text(node.right, 200))
    )


def pixel_scaling(found: Found) -> None:
    """`x_train /= 255`, `images / 255.0`: pixels brought to [0, 1]; `(x - mean) / std`: inputs standardized by hand
    (one knob per statement)."""
    code = found.code
    seen = set()
    for node in code.nodes[ast.AugAssign] + code.nodes[ast.BinOp]:
        divisor = node.value if isinstance(node, ast.AugAssign) else node.right
        if not isinstance(node.op, ast.Div) or not (_divides_by_255(divisor) or _standardizes(code, node)):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant):
            continue  # 1./255: a factor handed to Rescaling or rescale=, reported there
        statement = node
        while not isinstance(statement, ast.stmt) and code.parent.get(statement) is not None:
            statement = code.parent[statement]
        key = (code.cell_of.get(statement), statement.lineno)
        if key not in seen:
            seen.add(key)
            framework = "keras" if "keras" in code.frameworks else ""
            found.add("input_normalization", node, node, framework)


STATEMENTS = [pixel_scaling]
