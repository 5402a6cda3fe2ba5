"""Likely mistakes in a PyTorch training loop, one function per rule: evaluation without torch.no_grad() or
model.eval(), gradients never zeroed, the scheduler stepped before the optimizer or at the wrong granularity, and
a running loss summed from the loss tensor. The rules on data and setup are in mistakes_setup.

Each rule fires only on what the code itself shows, and says where (line), why it matters and the page to read.
"""

from __future__ import annotations

import ast

from .code import FUNCTIONS, Code, role_of, words
from .findings import Mistake
from .knobs_torch import DROPOUTS, NORMS
from .objects import PRETRAINED, Objects

RULES = {  # id -> the page that explains it
    "softmax-before-logits-loss": "logits-vs-probabilities",
    "missing-eval-mode": "train-eval-mode",
    "missing-no-grad": "train-eval-mode",
    "missing-zero-grad": "autograd-errors",
    "scheduler-before-optimizer": "learning-rate-schedule",
    "scheduler-step-granularity": "learning-rate-schedule",
    "adam-weight-decay": "weight-decay",
    "train-loader-no-shuffle": "data-shuffling",
    "normalization-fit-before-split": "data-leakage",
    "val-augmented": "data-augmentation",
    "loss-accumulated-without-item": "cuda-out-of-memory",
}
SAFE_READS = {"item", "detach", "data", "tolist", "numpy"}  # a loss read through these holds no graph
SAFE_CALLS = {"float", "int", "item", "detach"}
PER_STEP_SCHEDULERS = {"OneCycleLR", "CyclicLR"}
EPOCH_SCHEDULERS = {"StepLR": "step_size", "MultiStepLR": "milestones", "CosineAnnealingLR": "T_max"}
EPOCH_SCHEDULERS |= {"CosineAnnealingWarmRestarts": "T_0", "PolynomialLR": "total_iters"}
ITERATIONS = 1000  # a StepLR step_size (or milestone) this large counts iterations, not epochs
EPOCH_WORDS = {"epoch", "epochs", "niter", "nepochs"}


def mistake(
    code: Code, rule: str, title: str, node: ast.AST, end: ast.AST, evidence: str, why: str, severity: str = "likely"
) -> Mistake:
    return Mistake(
        id=rule,
        title=title,
        line=node.lineno,
        cell=code.cell_index(node),
        end_line=max(node.lineno, getattr(end, "end_lineno", None) or end.lineno),
        evidence=evidence,
        why=why,
        slug=RULES[rule],
        order=code.order(node),
        severity=severity,
    )


def where(code: Code, node: ast.AST) -> str:
    cell = code.cell_index(node)
    return f"line {node.lineno}" if cell is None else f"cell {cell} line {node.lineno}"


def _is_lightning_hook(code: Code, fn: ast.AST) -> bool:
    """Lightning (and Keras custom loops) run `*_step` methods and `on_*` hooks in eval mode under no_grad."""
    return code.class_of(fn) is not None and (fn.name.endswith("_step") or fn.name.startswith("on_"))


def _backward_calls(code: Code, node: ast.AST) -> list[ast.Call]:
    return [c for c in code.calls_in(node) if code.method(c) == "backward"]


def _feeds_training(code: Code, fn: ast.FunctionDef) -> bool:
    """A function named for inference that a training step calls (`outputs = self.inference(batch)`, then
    `loss.backward()`) is the model's shared forward helper: its graph is needed there, and evaluation calls it
    under no_grad or not on its own account."""
    for call in code.callers(fn):
        owner = code.function_of(call)
        if owner is not None and owner is not fn and _backward_calls(code, owner):
            return True
    return False


def evaluation_blocks(code: Code, objects: Objects) -> list[tuple[ast.AST, list[ast.Call]]]:
    """(block, model calls in it): functions named for validation/testing, and loops over a validation loader,
    that run a model and never call backward()."""
    if "pytorch" not in code.frameworks:
        return []
    blocks, inside = [], set()
    for fn in code.nodes[ast.FunctionDef]:
        if role_of(fn.name) != "eval" or _is_lightning_hook(code, fn) or _backward_calls(code, fn):
            continue
        if _feeds_training(code, fn):
            continue
        forwards = objects.forward_calls(fn)
        if forwards:
            blocks.append((fn, forwards))
            inside.update(ast.walk(fn))
    for loop in code.nodes[ast.For]:
        if loop in inside or role_of(code.text(loop.iter, 200)) != "eval" or _backward_calls(code, loop):
            continue
        fn = code.function_of(loop)
        if fn is not None and _is_lightning_hook(code, fn):
            continue
        forwards = objects.forward_calls(loop)
        if forwards:
            blocks.append((loop, forwards))
            inside.update(ast.walk(loop))
    blocks += _evaluation_statements(code, objects, inside)
    return blocks


def _evaluation_statements(code: Code, objects: Objects, inside: set) -> list[tuple[ast.AST, list[ast.Call]]]:
    """A statement that runs the model on data named for validation or testing (`out = cnn(test_x)` every 50
    steps of a training loop), whose result never reaches a backward()."""
    backward_receivers = {
        n.id for c in code.calls if code.method(c) == "backward" for n in ast.walk(c.func) if isinstance(n, ast.Name)
    }
    found = []
    for cell in code.cells:
        for call in objects.forward_calls(cell.tree):
            if call in inside or not call.args or role_of(code.text(call.args[0], 200)) != "eval":
                continue
            fn = code.function_of(call)
            if fn is not None and _is_lightning_hook(code, fn):
                continue
            statement = next(a for a in (call, *code.ancestors(call)) if isinstance(a, ast.stmt))
            targets = {n.id for t in getattr(statement, "targets", ()) for n in ast.walk(t) if isinstance(n, ast.Name)}
            if targets & backward_receivers:
                continue  # trained on: `loss = loss_fn(model(val_x), y); loss.backward()` is training, oddly fed
            found.append((statement, [call]))
            inside.update(ast.walk(statement))
    return found


def _name_of(block: ast.AST) -> str:
    if isinstance(block, ast.FunctionDef):
        return f"{block.name}()"
    return "the validation loop" if isinstance(block, ast.For) else "the evaluation"


def missing_no_grad(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    for block, forwards in evaluation_blocks(code, objects):
        if any(code.under_no_grad(call) for call in forwards):
            continue
        first = forwards[0]
        evidence = (
            f"{_name_of(block)} ({where(code, block)}) runs {code.text(first.func)}(...) on line {first.lineno} "
            "outside torch.no_grad() or torch.inference_mode()"
        )
        if "volatile" in code.text(block, 100_000):
            evidence += "; Variable(..., volatile=True) has had no effect since PyTorch 0.4"
        why = (
            "every forward pass builds an autograd graph that is never used: evaluation is slower and holds "
            "much more memory (often the cause of out-of-memory errors in validation); wrap it in "
            "`with torch.no_grad():`"
        )
        title, severity = "Evaluation builds the autograd graph", "likely"
        if _single_pass(code, block, forwards):
            # one prediction (a predict() helper called once, a look at ten test images): one graph, freed at
            # once; the cost is in evaluation loops. Blind labellers flagged some such cases, not others: minor.
            title, severity = "A single prediction builds the autograd graph", "minor"
            why = (
                "one forward pass outside torch.no_grad() builds a graph that is freed at once, so little is lost "
                "here; in a loop over data it makes evaluation slower and much hungrier for memory: wrap prediction "
                "code in `with torch.no_grad():` as a habit"
            )
        found.append(mistake(code, "missing-no-grad", title, block, block, evidence, why, severity))
    return found


def _single_pass(code: Code, block: ast.AST, forwards: list[ast.Call]) -> bool:
    """The forward passes run once: no loop around them in their function, and a function block is not called
    from inside a loop."""
    if isinstance(block, (ast.For, ast.AsyncFor, ast.While)) or any(code.loops_of(f) for f in forwards):
        return False
    if isinstance(block, FUNCTIONS):
        return not any(code.loops_of(caller) for caller in code.callers(block))
    return True


def _has_mode_dependent_layers(code: Code) -> bool:
    for call in code.calls:
        qualname = code.qualname(call.func)
        name = qualname.split(".")[-1]
        if qualname.startswith("torch.nn") and (name in DROPOUTS or name in NORMS):
            return True
        if qualname.startswith(PRETRAINED):
            return True
    return False


def missing_eval_mode(code: Code, objects: Objects) -> list[Mistake]:
    """Only when the script never switches any model to eval mode and its model has dropout or batch norm."""
    switched = any(
        code.method(c) == "eval"
        or (code.method(c) == "train" and c.args and isinstance(c.args[0], ast.Constant) and c.args[0].value is False)
        # the Hugging Face Trainer's evaluation loop calls model.eval() and leaves the model so
        or (code.method(c) in ("evaluate", "predict") and code.receiver(c) in objects.hf_trainers)
        for c in code.calls
    )
    if switched or not _has_mode_dependent_layers(code):
        return []
    found = []
    for block, forwards in evaluation_blocks(code, objects):
        first = forwards[0]
        evidence = (
            f"{_name_of(block)} ({where(code, block)}) runs {code.text(first.func)}(...) on line {first.lineno}, "
            "and the script never calls model.eval()"
        )
        why = (
            "in training mode dropout keeps dropping units and batch norm uses (and updates) the statistics "
            "of each evaluation batch, so validation scores are noisy and lower than the model's; call "
            "model.eval() before evaluating and model.train() before training again"
        )
        title = "Evaluation runs in training mode"
        found.append(mistake(code, "missing-eval-mode", title, block, block, evidence, why))
    return found


def _optimizer_steps(code: Code, objects: Objects, node: ast.AST) -> list[ast.Call]:
    return [
        c
        for c in code.calls_in(node)
        if code.method(c) == "step"
        and isinstance(c.func, ast.Attribute)
        and objects.is_optimizer(code.receiver(c))
        and not objects.is_scheduler(code.receiver(c))
    ]


def _optimizer_steps_anywhere(code: Code, objects: Objects) -> set[ast.Call]:
    return {
        c
        for c in code.calls_by_method.get("step", ())
        if isinstance(c.func, ast.Attribute)
        and objects.is_optimizer(code.receiver(c))
        and not objects.is_scheduler(code.receiver(c))
    }


def _clears_gradients(code: Code, node: ast.AST) -> bool:
    for item in code.walk(node):
        if isinstance(item, ast.Call) and code.method(item) in ("zero_grad", "zero_", "clear_grad"):
            return True
        if isinstance(item, ast.Assign) and any(code.text(t, 200).endswith(".grad") for t in item.targets):
            return True
    for call in code.calls_in(node):  # a helper of the file that does it
        for fn in code.functions.get(code.method(call), ()):
            if fn is not code.function_of(call) and any(code.method(c) == "zero_grad" for c in code.calls_in(fn)):
                return True
    return False


def missing_zero_grad(code: Code, objects: Objects) -> list[Mistake]:
    """A loop that runs backward() and optimizer.step() itself and never zeroes the gradients."""
    found = []
    backward = {id(loop) for c in code.calls_by_method.get("backward", ()) for loop in code.loops_of(c)}
    steps = _optimizer_steps_anywhere(code, objects)
    loops = {id(loop): loop for c in steps for loop in code.loops_of(c) if id(loop) in backward}
    outer = {id(o) for loop in loops.values() for o in code.loops_of(loop) if id(o) in loops}
    innermost = sorted((loop for key, loop in loops.items() if key not in outer), key=code.order)
    for loop in innermost:
        if _clears_gradients(code, loop):
            continue
        step = _optimizer_steps(code, objects, loop)[0]
        evidence = (
            f"the loop on {where(code, loop)} calls backward() and {code.text(step.func)}() but never "
            "optimizer.zero_grad() (nor model.zero_grad(), nor sets .grad to None)"
        )
        why = (
            "backward() adds to .grad, so every step uses the sum of all gradients so far: updates grow and "
            "training diverges or crawls; call optimizer.zero_grad() once per step"
        )
        found.append(mistake(code, "missing-zero-grad", "Gradients are never zeroed", loop, loop, evidence, why))
    return found


def _scheduler_steps(code: Code, objects: Objects) -> list[ast.Call]:
    return [
        c
        for c in code.calls
        if code.method(c) == "step" and isinstance(c.func, ast.Attribute) and objects.is_scheduler(code.receiver(c))
    ]


def _trains_in(code: Code, objects: Objects, call: ast.Call) -> bool:
    """The call is a function of the file that steps an optimizer."""
    return any(_optimizer_steps(code, objects, fn) for fn in code.functions.get(code.method(call), ()))


def scheduler_before_optimizer(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    for step in _scheduler_steps(code, objects):
        loops = code.loops_of(step)
        if not loops or step.args or step.keywords:
            # `scheduler.step(epoch=epoch)` sets the epoch itself (the old usage, deprecated but not off by one);
            # `ReduceLROnPlateau.step(val_loss)` reads a metric and has no first value to skip
            continue
        loop = loops[0]
        calls, optimizer_steps = code.calls_in(loop), set(_optimizer_steps(code, objects, loop))
        before = [c for c in calls if code.order(c) < code.order(step)]
        after = [c for c in calls if code.order(c) > code.order(step)]
        if any(c in optimizer_steps or _trains_in(code, objects, c) for c in before):
            continue
        later = [c for c in after if c in optimizer_steps or _trains_in(code, objects, c)]
        if not later:
            continue
        evidence = (
            f"{code.text(step.func)}() on {where(code, step)} runs before {code.text(later[0].func)}() on line "
            f"{later[0].lineno} in the same loop"
        )
        why = (
            "since PyTorch 1.1 the scheduler must step after the optimizer; stepping it first skips the first "
            "value of the schedule (PyTorch warns about it), so the learning rate is one step ahead all along"
        )
        title = "scheduler.step() before optimizer.step()"
        found.append(mistake(code, "scheduler-before-optimizer", title, step, later[0], evidence, why))
    return found


def _schedule_unit(code: Code, constructor: ast.Call) -> str | None:
    """'epoch' or 'step' for schedules whose unit the constructor shows; None when it cannot be told."""
    name = code.qualname(constructor.func).split(".")[-1]
    if name in PER_STEP_SCHEDULERS or (name.startswith("get_") and "schedule" in name):
        return "step"
    if name not in EPOCH_SCHEDULERS:
        return None
    keyword = EPOCH_SCHEDULERS[name]
    length = next((k.value for k in constructor.keywords if k.arg == keyword), None)
    if length is None and len(constructor.args) > 1:
        length = constructor.args[1]
    if length is None:
        return None
    said = set(words(code.text(length, 200)))
    # not "step": `config.step_schedule`; "iter" alone is weak: `epoch_iter` is a number of epochs
    if said & {"steps", "iterations", "len", "batches"} or (said & {"iter", "iters"} and not said & EPOCH_WORDS):
        return "step"
    numbers = [code.number(n) for n in (length.elts if isinstance(length, (ast.List, ast.Tuple)) else [length])]
    if name in ("StepLR", "MultiStepLR") and numbers and all(n is not None for n in numbers):
        return "step" if max(numbers) >= ITERATIONS else "epoch"
    return "epoch" if said & EPOCH_WORDS else None


def scheduler_step_granularity(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    for step in _scheduler_steps(code, objects):
        constructor = objects.schedulers.get(code.receiver(step))
        loops = code.loops_of(step)
        if constructor is None or not loops:
            continue
        unit = _schedule_unit(code, constructor)
        steps = _optimizer_steps(code, objects, loops[0])
        per_batch = any(code.loops_of(s)[:1] == loops[:1] for s in steps)  # in the very loop that steps
        trains = any(_trains_in(code, objects, c) for c in code.calls_in(loops[0]))
        per_epoch = not per_batch and (bool(steps) or trains)  # training runs in a loop (or function) inside it
        name = code.qualname(constructor.func).split(".")[-1]
        if unit == "epoch" and per_batch:
            said = f"{name} counts epochs, but {code.text(step.func)}() on {where(code, step)} runs every batch"
            why = "the schedule runs its whole course within the first epochs, so the rate collapses early"
        elif unit == "step" and per_epoch:
            said = f"{name} counts optimizer steps, but {code.text(step.func)}() on {where(code, step)} runs per epoch"
            why = "the schedule barely moves (warmup and decay never happen); step it after every optimizer.step()"
        else:
            continue
        evidence = f"{said} (built on line {constructor.lineno})"
        title = "The scheduler steps at the wrong granularity"
        found.append(mistake(code, "scheduler-step-granularity", title, step, step, evidence, why))
    return found


def _graph_reads(code: Code, name: ast.Name, stop: ast.AST) -> bool:
    """The loss name is read as a tensor (not through .item(), .detach(), .data, float(...))."""
    node = name
    while node is not stop:
        parent = code.parent.get(node)
        if parent is None:
            return True
        if isinstance(parent, ast.Attribute) and parent.attr in SAFE_READS:
            return False
        if isinstance(parent, ast.Call) and node in parent.args and code.method(parent) in SAFE_CALLS:
            return False
        node = parent
    return True


def loss_accumulated_without_item(code: Code, objects: Objects) -> list[Mistake]:
    found = []
    backpropagated = {code.receiver(c) for c in code.calls_by_method.get("backward", ())}
    training_loops = {id(loop) for c in code.calls_by_method.get("backward", ()) for loop in code.loops_of(c)}
    for loop in code.nodes[ast.For] + code.nodes[ast.While]:
        if id(loop) not in training_loops:
            continue
        losses = {
            c.func.value.id
            for c in _backward_calls(code, loop)
            if isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
        }
        if not losses:
            continue
        for node in code.walk(loop):
            if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
                target, values = code.text(node.target, 200), [node.value]
            elif isinstance(node, ast.Call) and code.method(node) == "append" and node.args:
                target, values = code.receiver(node), node.args
            else:
                continue
            if target in losses or code.loops_of(node)[:1] != [loop] or code.under_no_grad(node):
                continue
            if target in backpropagated:
                continue  # summed on purpose, to call backward() on the sum
            read = [n for v in values for n in ast.walk(v) if isinstance(n, ast.Name) and n.id in losses]
            if any(_graph_reads(code, n, node) for n in read):
                evidence = f"{code.text(node)} on {where(code, node)} keeps the loss tensor, not its value"
                why = (
                    "each step's loss still holds its whole autograd graph, so memory grows every batch until "
                    "it runs out; add loss.item() (a Python float) instead"
                )
                title = "The running loss keeps every step's graph"
                found.append(mistake(code, "loss-accumulated-without-item", title, node, node, evidence, why))
    return found


LOOP_RULES = [
    missing_no_grad,
    missing_eval_mode,
    missing_zero_grad,
    scheduler_before_optimizer,
    scheduler_step_granularity,
    loss_accumulated_without_item,
]
