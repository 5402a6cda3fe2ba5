"""What the script's names hold, found by where they are built: models, optimizers, schedulers and losses.

The mistake rules read the code through these: `optimizer.step()` is an optimizer step because `optimizer` was
built by `optim.SGD(...)` (or, when its construction is not in the file, because its name says so).
"""

from __future__ import annotations

import ast
from functools import cached_property

from .code import Code, words
from .knobs_torch import LOSSES, OPTIMIZERS, SCHEDULERS

MODEL_METHODS = {"train", "eval", "parameters", "zero_grad", "state_dict", "load_state_dict", "named_parameters"}
MODEL_METHODS |= {"cuda", "to", "apply", "half", "modules", "children", "requires_grad_"}
NOT_MODELS = {"optimizer", "optim", "opt", "scheduler", "sched", "criterion", "loss", "tensor", "input", "data"}
NOT_MODELS |= {"x", "y", "batch", "target", "targets", "labels", "inputs", "images", "device", "torch", "np"}
# what a pretrained-model library also builds, and is no network: `tokenizer = AutoTokenizer.from_pretrained(...)`
NOT_MODELS |= {"tokenizer", "tokenizers", "processor", "extractor", "collator", "config"}
NOT_NETWORKS = ("Tokenizer", "Processor", "FeatureExtractor", "Config", "Collator")
# a Hugging Face pipeline runs its model under torch.no_grad (Pipeline.get_inference_context), on a model that
# from_pretrained left in eval mode: calling `pipe(prompt)` is inference done right, not a network run by hand
NOT_NETWORKS += ("pipeline", "Pipeline")
PROBABILITY_FUNCTIONS = {"softmax": "softmax", "sigmoid": "sigmoid", "Softmax": "softmax", "Sigmoid": "sigmoid"}
PRETRAINED = ("torchvision.models.", "timm.", "transformers.")


class Objects:
    """Built once per script: the texts (`model`, `self.net`, `optimizerD`) bound to each kind of object."""

    def __init__(self, code: Code):
        self.code = code

    @cached_property
    def _assigned_calls(self) -> list[tuple[str, ast.Call]]:
        """(target text, the call that built it) for every assignment from a call, in source order."""
        found = []
        for assign in self.code.nodes[ast.Assign]:
            call = self._head_call(assign.value)
            if call is not None:
                found += [(self.code.text(target, 200), call) for target in assign.targets]
        return found

    @cached_property
    def _builders(self) -> dict[str, ast.Call]:
        return dict(self._assigned_calls)

    def _built_by(self, test) -> dict[str, ast.Call]:
        """Target text -> the call that built it, for assignments whose value (or chain head) passes `test`."""
        return {target: call for target, call in self._assigned_calls if test(call)}

    def _head_call(self, node: ast.AST) -> ast.Call | None:
        """`Net().to(device)` -> the `Net()` call; `optim.SGD(...)` -> itself."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if not isinstance(inner, ast.Call):
                break
            node = inner
        return node if isinstance(node, ast.Call) else None

    def _name(self, call: ast.Call) -> str:
        return self.code.qualname(call.func).split(".")[-1]

    @cached_property
    def optimizers(self) -> dict[str, ast.Call]:
        return self._built_by(lambda c: self._name(c) in OPTIMIZERS)

    @cached_property
    def schedulers(self) -> dict[str, ast.Call]:
        return self._built_by(
            lambda c: self._name(c) in SCHEDULERS or (self._name(c).startswith("get_") and "schedule" in self._name(c))
        )

    @cached_property
    def losses(self) -> dict[str, ast.Call]:
        return self._built_by(lambda c: self._name(c) in LOSSES)

    @cached_property
    def hf_trainers(self) -> dict[str, ast.Call]:
        """`trainer = Trainer(...)` / `SFTTrainer(...)` from transformers or TRL."""
        return self._built_by(
            lambda c: (
                self.code.qualname(c.func).startswith(("transformers.", "trl."))
                and self.code.qualname(c.func).endswith("Trainer")
            )
        )

    def is_optimizer(self, text: str) -> bool:
        return text in self.optimizers or any(w.startswith("optim") or w == "opt" for w in words(text))

    def is_scheduler(self, text: str) -> bool:
        return text in self.schedulers or any(w.startswith("sched") for w in words(text))

    @cached_property
    def models(self) -> set[str]:
        """Texts used as a network: receivers of `.train()`, `.eval()`, `.parameters()`...; built from a class of
        the file or a pretrained-model library."""
        code = self.code
        found = set()
        for call in code.calls:
            if isinstance(call.func, ast.Attribute) and code.method(call) in MODEL_METHODS:
                receiver = call.func.value
                if isinstance(receiver, (ast.Name, ast.Attribute)):
                    found.add(code.text(receiver, 200))
        classes = {c.name for c in code.nodes[ast.ClassDef]}
        built = self._built_by(
            lambda c: (
                self._name(c) in classes
                or (
                    code.qualname(c.func).startswith(PRETRAINED)
                    and not any(n in code.qualname(c.func) for n in NOT_NETWORKS)
                )
                or code.qualname(c.func) == "torch.nn.Sequential"
            )
        )
        found.update(built)
        return {f for f in found if not set(words(f)) & NOT_MODELS and not self.is_optimizer(f)}

    def forward_calls(self, node: ast.AST) -> list[ast.Call]:
        """Calls of a model inside `node`: `model(x)`, `self.net(batch)`, `model.forward(x)`."""
        code = self.code
        found = []
        for call in code.calls_in(node):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "forward":
                func = func.value
            if isinstance(func, (ast.Name, ast.Attribute)) and code.text(func, 200) in self.models:
                found.append(call)
        return found

    def probability_op(self, node: ast.AST) -> str | None:
        """'softmax' or 'sigmoid' when the expression is a softmax / sigmoid (not log_softmax) of something."""
        code = self.code
        if isinstance(node, ast.Call):
            name = code.qualname(node.func).split(".")[-1]
            if name in ("softmax", "sigmoid"):
                return name
            if isinstance(node.func, ast.Call) and self._name(node.func) in ("Softmax", "Sigmoid"):
                return PROBABILITY_FUNCTIONS[self._name(node.func)]  # nn.Softmax(dim=1)(x)
        return None

    def model_output_op(self, model_text: str) -> str | None:
        """'softmax'/'sigmoid' when the model named `model_text` ends in one: its class's forward returns it, or
        its nn.Sequential ends with nn.Softmax / nn.Sigmoid."""
        code = self.code
        built = self._builders.get(model_text)
        if built is None:
            return None
        name = self._name(built)
        if name == "Sequential" and built.args:
            return self._layer_op(built.args[-1])
        for cls in code.nodes[ast.ClassDef]:
            if cls.name != name:
                continue
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "forward":
                    return self._returns_op(cls, fn)
        return None

    def _layer_op(self, layer: ast.AST) -> str | None:
        if isinstance(layer, ast.Call):
            return PROBABILITY_FUNCTIONS.get(self._name(layer)) if self._name(layer) in ("Softmax", "Sigmoid") else None
        return None

    def _returns_op(self, cls: ast.ClassDef, fn: ast.FunctionDef) -> str | None:
        ops = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Return) and node.value is not None:
                value = node.value.elts[0] if isinstance(node.value, ast.Tuple) and node.value.elts else node.value
                if isinstance(value, ast.Name):
                    value = self.code.assignment(value.id, node) or value
                ops.add(self.probability_op(value) or self._attribute_layer_op(cls, value))
        return ops.pop() if len(ops) == 1 else None

    def _attribute_layer_op(self, cls: ast.ClassDef, value: ast.AST) -> str | None:
        """`return self.out(x)` where `self.out = nn.Softmax(dim=1)` or an nn.Sequential ending in one."""
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
            return None
        attribute = self.code.text(value.func, 200)
        for assign in ast.walk(cls):
            if isinstance(assign, ast.Assign) and any(self.code.text(t, 200) == attribute for t in assign.targets):
                layer = assign.value
                if isinstance(layer, ast.Call) and self._name(layer) == "Sequential" and layer.args:
                    layer = layer.args[-1]
                return self._layer_op(layer)
        return None
