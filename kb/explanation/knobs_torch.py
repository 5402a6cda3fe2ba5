"""PyTorch knobs: optimizers, schedulers, DataLoaders, losses, layers, init, transforms, precision, clipping, seeds,
epoch loops, and the hand-written update steps and learning-rate schedules of plain training loops."""

from __future__ import annotations

import ast

from .code import Code, role_of, words
from .knobs import Found, optimizer_page, read_keywords
from .knobs_loaders import data_loader
from .knobs_transforms import mixing, transforms
from .project_helpers import base_lr_argument, optimizer_factory, project_clipping, project_loss

OPTIMIZERS = {"SGD", "ASGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop", "Adagrad", "Adadelta"}
OPTIMIZERS |= {"SparseAdam", "LBFGS", "Adafactor", "Muon", "Lion", "LAMB", "Lamb", "AdamW8bit", "Adam8bit"}
OPTIMIZERS |= {"PagedAdamW", "PagedAdamW8bit", "FusedAdam", "FusedLAMB", "AdaBelief", "SGDW"}
OPTIMIZER_MODULES = ("torch.", "transformers.", "bitsandbytes.", "apex.", "timm.", "torch_optimizer.", "deepspeed.")
SCHEDULERS = {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts"}
SCHEDULERS |= {"OneCycleLR", "CyclicLR", "ReduceLROnPlateau", "LambdaLR", "MultiplicativeLR", "LinearLR"}
SCHEDULERS |= {"ConstantLR", "SequentialLR", "ChainedScheduler", "PolynomialLR"}
LOSSES = {"CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss", "SmoothL1Loss"}
LOSSES |= {"HuberLoss", "KLDivLoss", "CTCLoss", "MarginRankingLoss", "TripletMarginLoss", "CosineEmbeddingLoss"}
LOSSES |= {"MultiLabelSoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "SoftMarginLoss", "MultiMarginLoss"}
LOSSES |= {"HingeEmbeddingLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss"}
FUNCTIONAL_LOSSES = {"cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"}
FUNCTIONAL_LOSSES |= {"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "cosine_embedding_loss"}
FUNCTIONAL_LOSSES |= {"margin_ranking_loss", "triplet_margin_loss", "ctc_loss", "poisson_nll_loss", "soft_margin_loss"}
FUNCTIONAL_LOSSES |= {"gaussian_nll_loss", "multilabel_soft_margin_loss", "hinge_embedding_loss", "multi_margin_loss"}
LOSS_KEYWORDS = {"label_smoothing": "label_smoothing", "pos_weight": "pos_weight", "weight": "class_weight"}
LOSS_KEYWORDS |= {"ignore_index": "ignore_index"}
DROPOUTS = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"}
DROPOUTS |= {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"}
NORMS = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"}
NORMS |= {"GroupNorm", "LayerNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "SyncBatchNorm", "RMSNorm"}
NORMS |= {"LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d", "LocalResponseNorm"}
INPLACE_INITS = {"normal_", "uniform_", "fill_", "zero_", "constant_", "xavier_uniform_", "xavier_normal_"}
INPLACE_INITS |= {"kaiming_uniform_", "kaiming_normal_", "orthogonal_", "trunc_normal_"}
CLIPPING = {"clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"}
SEEDS = {"random.seed", "numpy.random.seed", "torch.manual_seed", "torch.cuda.manual_seed", "torch.random.manual_seed"}
SEEDS |= {"torch.cuda.manual_seed_all", "tensorflow.random.set_seed", "tensorflow.set_random_seed"}
SEEDS |= {"tensorflow.compat.v1.set_random_seed", "keras.utils.set_random_seed", "mxnet.random.seed"}
SEED_FUNCTIONS = {"set_seed", "seed_everything", "set_random_seed", "manual_seed", "manual_seed_all"}
MODEL_WORDS = {"model", "net", "network", "module", "encoder", "decoder", "generator", "discriminator", "backbone"}
MODEL_WORDS |= {"classifier", "features", "netg", "netd", "unet", "transformer", "policy", "critic", "actor"}
EPOCH_WORDS = {"epoch", "epochs", "niter", "nepoch", "nepochs"}
STEP_WORDS = {"steps", "step", "iters", "iter", "iterations", "iteration", "updates", "niters", "nsteps"}
NOT_STEP_WORDS = {"per", "log", "eval", "save", "warmup", "print", "val", "test", "checkpoint", "display", "report"}


def _torch_like(code: Code, call: ast.Call, prefixes: tuple[str, ...]) -> str | None:
    """The called name when the call reaches one of these modules, or a bare unimported name in a torch script."""
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    if qualname.startswith(prefixes):
        return name
    if qualname == name and name not in code.imports and "keras" not in code.frameworks:
        return name
    return None


def _on_parameters(code: Code, call: ast.Call) -> bool:
    """The call is handed a model's parameters first: `RAdam(model.parameters(), lr=...)` from any module."""
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "params"), None)
    return isinstance(first, ast.Call) and code.method(first) in ("parameters", "named_parameters")


def optimizer(found: Found, call: ast.Call) -> bool:
    code = found.code
    name = _torch_like(code, call, OPTIMIZER_MODULES)
    if name not in OPTIMIZERS:
        settings = optimizer_factory(code, call)
        if settings:  # the project's own optimizer factory, handed the settings by name
            betas = any(kind == "betas" for kind, _ in settings)
            found.add("optimizer", call, code.text(call.func), "pytorch", "adam" if betas else None)
            for kind, value in settings:
                found.add(kind, value, value, "pytorch")
            return True
        # an optimizer the project ships itself (`from utils.radam import RAdam`): known by name and built on
        # the model's parameters
        own = code.qualname(call.func).split(".")[-1]
        if not (_on_parameters(code, call) and optimizer_page(own) != "learning-rate"):
            return False
        name = own
    found.add("optimizer", call, code.text(call.func), "pytorch", optimizer_page(name))
    if len(call.args) > 1 and not any(k.arg == "lr" for k in call.keywords):
        found.add("learning_rate", call.args[1], call.args[1], "pytorch")
    for group in (call.args[0] if call.args else None, *[k.value for k in call.keywords if k.arg == "params"]):
        if isinstance(group, ast.Name):  # param_groups = [...]; SGD(param_groups, ...)
            group = code.assignment(group.id, call)
        for entry in group.elts if isinstance(group, (ast.List, ast.Tuple)) else ():
            _param_group(found, entry)
    read_keywords(found, call, "pytorch")
    return True


def _param_group(found: Found, entry: ast.AST) -> None:
    """{'params': ..., 'lr': 1e-4, 'weight_decay': 0.0} or dict(params=..., lr=1e-4): a learning rate or decay set
    per parameter group."""
    if isinstance(entry, ast.Dict):
        pairs = [(k.value, k, v) for k, v in zip(entry.keys, entry.values) if isinstance(k, ast.Constant)]
    elif isinstance(entry, ast.Call) and isinstance(entry.func, ast.Name) and entry.func.id == "dict":
        pairs = [(k.arg, k, k.value) for k in entry.keywords if k.arg]
    else:
        return
    for name, at, value in pairs:
        if name in ("lr", "weight_decay", "momentum", "betas"):
            kind = {"lr": "learning_rate"}.get(name, name)
            found.add(kind, at, value, "pytorch")


def scheduler(found: Found, call: ast.Call) -> bool:
    code = found.code
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    if name.startswith("get_") and "schedule" in name and qualname.startswith(("transformers.", "diffusers.", name)):
        found.add("lr_schedule", call, code.text(call.func), "hf")
        warmup = next((k.value for k in call.keywords if k.arg == "num_warmup_steps"), None)
        if warmup is None and name != "get_scheduler" and len(call.args) > 1:
            warmup = call.args[1]
        if warmup is not None:
            found.add("warmup", warmup, warmup, "hf")
        return True
    if name in SCHEDULERS and ("lr_scheduler" in qualname or qualname == name):
        found.add("lr_schedule", call, code.text(call.func), "pytorch")
        return True
    if name.endswith(("Scheduler", "Schedule")) and call.args and "optim" in code.text(call.args[0], 200):
        # a schedule class of the project's own, built on the optimizer: `CyclicCosineLRScheduler(optimizer, ...)`,
        # `WarmupCosineSchedule(optimizer, warmup_steps=..., t_total=...)`
        found.add("lr_schedule", call, code.text(call.func), "pytorch")
        warmup = next((k for k in call.keywords if k.arg in ("warmup_steps", "num_warmup_steps", "warmup")), None)
        if warmup is not None:
            found.keyword(warmup, "warmup", "pytorch")
        return True
    base_lr = base_lr_argument(code, call) if name.endswith(("Scheduler", "Schedule")) else None
    if base_lr is not None and code.from_project(call.func):
        # a schedule of the project's own that sets the rate itself from a base rate, not from an optimizer's:
        # `LR_Scheduler('poly', args.lr, args.epochs, iters_per_epoch)` (PyTorch-Encoding and its many copies)
        found.add("lr_schedule", call, code.text(call.func), "pytorch")
        found.add("learning_rate", base_lr, base_lr, "pytorch")
        return True
    if name == "EarlyStopping" and "pytorch" in code.frameworks and not qualname.startswith(("keras", "tensorflow")):
        found.add("early_stopping", call, code.text(call), "pytorch")  # a helper class of the project's own
        return True
    return False


def in_evaluation(code: Code, node: ast.AST) -> bool:
    """Evaluation code: under no_grad, or in a function named for validation or testing."""
    fn = code.function_of(node)
    return code.under_no_grad(node) or (fn is not None and role_of(fn.name) == "eval")


def loss(found: Found, call: ast.Call) -> bool:
    code = found.code
    name = _torch_like(code, call, ("torch.nn.",))
    functional = code.qualname(call.func).startswith("torch.nn.functional.") and name in FUNCTIONAL_LOSSES
    if name not in LOSSES and not functional:
        if not project_loss(code, call):
            return False
        found.add("loss", call, code.text(call.func), "pytorch")
        return True
    if functional and in_evaluation(code, call):
        return True  # the loss computed while evaluating is not the one trained on
    found.add("loss", call, code.text(call.func if functional else call), "pytorch")
    for keyword in call.keywords:
        unset = isinstance(keyword.value, ast.Constant) and keyword.value.value is None
        if keyword.arg in LOSS_KEYWORDS and not unset:
            found.keyword(keyword, LOSS_KEYWORDS[keyword.arg], "pytorch")
    return True


def layers(found: Found, call: ast.Call) -> bool:
    """Dropout and normalization layers, and weight initialization."""
    code = found.code
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    if qualname.startswith("torch.nn.") and name in DROPOUTS:
        found.add("dropout", call, code.text(call), "pytorch")
    elif (qualname.startswith("torch.nn.") and name in NORMS) or _norm_subclass_init(code, call):
        # its momentum= is the running statistics' update rate, not the optimizer's: the call is claimed whole
        found.add("normalization_layer", call, code.text(call), "pytorch")
    elif qualname.startswith("torch.nn.init."):
        if not (call.args and "bias" in words(code.text(call.args[0], 200))):
            found.add("weight_init", call, code.text(call), "pytorch")
    elif name in INPLACE_INITS and not code.is_imported(call.func):
        target = words(code.receiver(call))
        if "weight" in target and "bias" not in target:
            found.add("weight_init", call, code.text(call), "pytorch")
    else:
        return False
    return True


def _norm_subclass_init(code, call: ast.Call) -> bool:
    """`super().__init__(num_features, eps=eps, momentum=m)` in `class BatchNorm(nn.BatchNorm2d)`."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "__init__" and isinstance(func.value, ast.Call)):
        return False
    if not (isinstance(func.value.func, ast.Name) and func.value.func.id == "super"):
        return False
    cls = code.class_of(call)
    return cls is not None and any(
        code.qualname(base).startswith("torch.nn.") and code.qualname(base).split(".")[-1] in NORMS
        for base in cls.bases
    )


def precision(found: Found, call: ast.Call) -> bool:
    """autocast, GradScaler, model.half() (fp16 weights), apex amp."""
    code = found.code
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    if name == "autocast" and (code.is_imported(call.func) or qualname == name):
        found.add("mixed_precision", call, code.text(call), "pytorch")
    elif name == "GradScaler":
        found.add("grad_scaler", call, code.text(call), "pytorch")
    elif qualname.startswith("apex.amp.initialize"):
        found.add("mixed_precision", call, code.text(call), "pytorch")
    elif qualname.startswith("apex.amp.scale_loss"):  # `with amp.scale_loss(loss, optimizer) as scaled_loss:`
        found.add("grad_scaler", call, code.text(call.func), "pytorch")
    elif name in ("half", "bfloat16") and not call.args and not code.is_imported(call.func):
        root = code.receiver(call).split(".")[0].split("(")[0]
        if set(words(root)) & MODEL_WORDS:
            found.add("mixed_precision", call, code.text(call), "pytorch")
        else:
            return False
    else:
        return False
    return True


def clipping(found: Found, call: ast.Call) -> bool:
    code = found.code
    if code.method(call) not in CLIPPING and not project_clipping(code, call):
        return False
    limit = next((k.value for k in call.keywords if k.arg in ("max_norm", "clip_value")), None)
    if limit is None and len(call.args) > 1:
        limit = call.args[1]
    found.add("grad_clipping", call, limit if limit is not None else code.text(call), "pytorch")
    return True


def _a_torch_generator(code: Code, call: ast.Call) -> bool:
    """`torch.Generator().manual_seed(42)` (the seed of a random_split or a loader), or `g.manual_seed(42)` where
    `g = torch.Generator()`."""
    if not isinstance(call.func, ast.Attribute):
        return False
    made = call.func.value
    if isinstance(made, ast.Name):
        made = code.assignment(made.id, call)
    return isinstance(made, ast.Call) and code.qualname(made.func) == "torch.Generator"


def seeds(found: Found, call: ast.Call) -> bool:
    from .knobs import framework_of

    code = found.code
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    generator = name == "manual_seed" and _a_torch_generator(code, call)
    if qualname in SEEDS or (name in SEED_FUNCTIONS and code.is_imported(call.func)) or generator:
        if call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value is None:
            return True  # np.random.seed(None): back to an unseeded state, the opposite of fixing a seed
        found.add("seed", call, code.text(call), framework_of(code, call))
        return True
    return False


CALLS = [optimizer, scheduler, data_loader, loss, layers, transforms, precision, clipping, seeds, mixing]


# ---------------------------------------------------------------- statements


def _range_bound(code: Code, node: ast.AST) -> ast.AST | None:
    """The end of `range(...)` (also inside tqdm(...) or enumerate(...))."""
    while isinstance(node, ast.Call) and code.method(node) in ("tqdm", "enumerate", "track", "progress_bar"):
        if not node.args:
            return None
        node = node.args[0]
    if isinstance(node, ast.Call) and code.method(node) in ("range", "trange", "xrange") and node.args:
        return node.args[1] if len(node.args) > 1 else node.args[0]
    return None


def _trains(code: Code, node: ast.AST) -> bool:
    """The loop steps an optimizer or runs backward, itself or through a function of the file it calls."""
    for call in code.calls_in(node):
        if code.method(call) in ("backward", "step", "fit", "train_step"):
            return True
        for fn in code.functions.get(code.method(call), ()):
            if any(code.method(c) in ("backward", "step") for c in code.calls_in(fn)):
                return True
    return False


def epoch_loops(found: Found) -> None:
    """`for epoch in range(args.epochs)` -> epochs; `for i in range(opt.steps)` around training -> max_steps."""
    code = found.code
    for loop in code.nodes[ast.For] + code.nodes[ast.AsyncFor]:
        bound = _range_bound(code, loop.iter)
        if bound is None:
            continue
        target, limit = set(words(code.text(loop.target))), set(words(code.text(bound, 200)))
        if "per" in limit:
            continue
        if any(w.startswith("epoch") for w in target) or limit & EPOCH_WORDS:
            kind = "epochs"
        elif limit & STEP_WORDS and not limit & NOT_STEP_WORDS and _trains(code, loop):
            kind = "max_steps"
        elif limit & {"batches", "nbatches"} and not code.loops_of(loop) and _trains(code, loop):
            kind = "max_steps"  # `for i in range(NUM_BATCHES)` as the outermost training loop: its total length
        else:
            continue
        found.add(kind, loop, bound, "pytorch" if "pytorch" in code.frameworks else "")


def _update_in_loop(code: Code, loop: ast.For) -> ast.AST | None:
    for node in code.walk(loop):
        if isinstance(node, ast.Call) and code.method(node) in ("add_", "sub_"):
            if any(".grad" in code.text(a, 200) for a in node.args + [k.value for k in node.keywords]):
                return node
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Sub) and ".grad" in code.text(node.value, 200):
            return node
    return None


def manual_updates(found: Found) -> None:
    """`for p in model.parameters(): p.data.add_(-lr, p.grad.data)`: a hand-written SGD step and its rate."""
    code = found.code
    for loop in code.nodes[ast.For]:
        if ".parameters()" not in code.text(loop.iter, 200):
            continue
        update = _update_in_loop(code, loop)
        if update is None:
            continue
        found.add("optimizer", update, code.text(update), "pytorch", "sgd-momentum")
        loop_names = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
        for name in {n.id for n in ast.walk(update) if isinstance(n, ast.Name)} - loop_names - set(code.imports):
            first = next((a for a in code.nodes[ast.Assign] if any(_is_name(t, name) for t in a.targets)), None)
            if first is not None:
                found.add("learning_rate", first, first.value, "pytorch")


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_lr_name(code: Code, node: ast.AST) -> bool:
    found = words(code.text(node, 200))
    return "lr" in found or ("learning" in found and "rate" in found)


def lr_statements(found: Found) -> None:
    """Hand-written schedules: `lr /= 4.0`, `lr = args.lr * (0.1 ** (epoch // 30))`, `group['lr'] = 0.1 * base`."""
    code = found.code
    for node in code.nodes[ast.AugAssign]:
        if isinstance(node.target, ast.Name) and _is_lr_name(code, node.target):
            if isinstance(node.op, (ast.Mult, ast.Div, ast.Sub, ast.Pow)):
                found.add("lr_schedule", node, code.text(node), "pytorch")
    for node in code.nodes[ast.Assign]:
        if len(node.targets) != 1 or not isinstance(node.value, ast.BinOp):
            continue
        target = node.targets[0]
        changing = set(words(code.text(node.value, 200))) & (EPOCH_WORDS | STEP_WORDS | {"decay", "warmup", "gamma"})
        inside = code.function_of(node) is not None or code.loops_of(node)
        if isinstance(target, ast.Name) and _is_lr_name(code, target) and changing and inside:
            found.add("lr_schedule", node, node.value, "pytorch")
        elif isinstance(target, ast.Subscript) and code.text(target.slice) in ("'lr'", '"lr"'):
            found.add("lr_schedule", node, node.value, "pytorch")


def loss_scaling(found: Found) -> None:
    """Static loss scaling for fp16: `loss = loss * args.loss_scale`; a patience counter for early stopping."""
    code = found.code
    for node in code.nodes[ast.Assign]:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            continue
        target = set(words(node.targets[0].id))
        value = node.value
        if "loss" in target and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
            if any("scale" in words(code.text(side, 200)) for side in (value.left, value.right)):
                found.add("grad_scaler", node, value, "pytorch")
        elif "patience" in target and code.number(value) is not None:
            found.add("early_stopping", node, value)


def loss_references(found: Found) -> None:
    """A loss function handed over without a call: `self.loss_func = F.binary_cross_entropy_with_logits`."""
    code = found.code
    for node in code.nodes[ast.Attribute]:
        parent = code.parent.get(node)
        if isinstance(parent, ast.Attribute) or (isinstance(parent, ast.Call) and parent.func is node):
            continue
        qualname = code.qualname(node)
        if qualname.startswith("torch.nn.functional.") and qualname.split(".")[-1] in FUNCTIONAL_LOSSES:
            found.add("loss", node, node, "pytorch")


def accumulation(found: Found) -> None:
    """`if step % args.gradient_accumulation_steps == 0: optimizer.step()`: gradients summed over N batches."""
    code = found.code
    for node in code.nodes[ast.If]:
        modulo = next((b for b in ast.walk(node.test) if isinstance(b, ast.BinOp) and isinstance(b.op, ast.Mod)), None)
        if modulo is None or not any(code.method(c) == "step" for s in node.body for c in code.calls_in(s)):
            continue
        if any(code.method(c) == "backward" for s in node.body for c in code.calls_in(s)):
            continue  # the whole step runs every N batches: a schedule of steps, not accumulation
        if code.loops_of(node) and any(code.method(c) == "backward" for c in code.calls_in(code.loops_of(node)[0])):
            found.add("grad_accumulation", node, modulo.right, "pytorch")


def accumulation_loops(found: Found) -> None:
    """`for _ in range(ACCUMULATE): loss.backward()` inside a training loop that steps the optimizer after it:
    gradients summed over that many batches per update."""
    code = found.code
    for loop in code.nodes[ast.For]:
        bound = _range_bound(code, loop.iter)
        outer = code.loops_of(loop)
        if bound is None or not outer or code.number(bound) == 1:
            continue
        inner = code.calls_in(loop)
        if not any(code.method(c) == "backward" for c in inner) or any(code.method(c) == "step" for c in inner):
            continue
        after = [c for c in code.calls_in(outer[0]) if code.method(c) == "step" and code.order(c) > code.order(loop)]
        if after:
            found.add("grad_accumulation", loop, bound, "pytorch")


STATEMENTS = [epoch_loops, manual_updates, lr_statements, loss_scaling, loss_references, accumulation]
STATEMENTS += [accumulation_loops]
