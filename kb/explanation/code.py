"""The parsed code as the knob finders and mistake rules read it: resolved imports, parents, scopes and values.

Everything here is static: names are resolved through the file's own imports (`import torch.nn as nn` makes
`nn.Dropout` read as `torch.nn.Dropout`; `tf.keras` reads as `keras`), values through module-level constants,
argparse defaults and function parameter defaults. Nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict

from .source import Source
from .values import Values

# Names code pasted without its imports uses for these modules (only when the name is not bound in the file).
CONVENTIONAL_ALIASES = {
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "optim": "torch.optim",
    "transforms": "torchvision.transforms",
    "tf": "tensorflow",
    "keras": "keras",
    "layers": "keras.layers",
    "np": "numpy",
    "pl": "pytorch_lightning",
    "L": "lightning",
    "transformers": "transformers",
}
# Module spellings that mean the same library, rewritten to one (tf.keras is keras; pytorch_lightning is lightning).
SAME_MODULES = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("pytorch_lightning.", "lightning.pytorch."),
)
# `from keras.layers import *` then `BatchNormalization()`: which star-imported module a bare name comes from. kb
# cannot list a module's names without importing it, so the Keras modules old scripts star-import are told apart
# by the names kb reads from them; any other name goes to the star module imported last (Python's own rule for a
# name two of them share).
STAR_NAMES = {
    "optimizers": {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion"},
    "callbacks": {"EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "ModelCheckpoint", "CSVLogger"},
    "models": {"Model", "Sequential", "load_model"},
    "losses": {"CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy", "Huber"},
}
EVAL_WORDS = {"val", "valid", "validation", "validate", "test", "testing", "eval", "evaluate", "evaluation", "dev"}
EVAL_WORDS |= {"holdout", "inference", "infer", "predict", "prediction", "predictions"}
EVAL_PREFIXES = ("test", "valid", "eval")
VAL_COMPOUNDS = {"dir", "set", "loader", "data", "ds", "dl", "gen", "generator", "dataset", "images", "x", "y"}
NO_GRAD_CONTEXTS = {"no_grad", "inference_mode", "set_grad_enabled"}
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Top-level modules of the libraries kb knows (their classes behave as documented); anything else a script imports
# is the project's own code, in files kb does not see.
LIBRARY_MODULES = {"torch", "torchvision", "torchaudio", "torchtext", "torch_geometric", "datasets", "transformers"}
LIBRARY_MODULES |= {"sklearn", "scipy", "numpy", "pandas", "tensorflow", "keras", "monai", "timm", "PIL", "lightning"}
LOOPS = (ast.For, ast.AsyncFor, ast.While)


def normalize(qualname: str) -> str:
    for old, new in SAME_MODULES:
        if qualname.startswith(old):
            qualname = new + qualname[len(old) :]
    if qualname.startswith("lightning.") and not qualname.startswith(("lightning.pytorch.", "lightning.fabric.")):
        qualname = "lightning.pytorch." + qualname[len("lightning.") :]
    return qualname


def words(text: str) -> list[str]:
    """An identifier or expression as lowercase words: `trainLoader`, `train_loader` -> ['train', 'loader']."""
    return [w.lower() for w in re.findall(r"[A-Za-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text))]


def is_eval_word(word: str) -> bool:
    if word in EVAL_WORDS or word.startswith(EVAL_PREFIXES):
        return True
    return word.startswith("val") and word[3:] in VAL_COMPOUNDS


def role_of(*texts: str) -> str | None:
    """'eval' when the names speak of validation or test data, 'train' when of training data, else None."""
    found = [w for text in texts if text for w in words(text)]
    if any(is_eval_word(w) for w in found):
        return "eval"
    if any(w.startswith("train") for w in found):
        return "train"
    return None


class Code:
    """Every parsed cell, walked once: parents, cells, the calls, assignments and loops, imports and values."""

    def __init__(self, source: Source):
        self.source = source
        self.cells = source.cells
        self._lines: dict[int, list[bytes]] = {}
        self._qualnames: dict[ast.AST, str] = {}
        self.parent: dict[ast.AST, ast.AST] = {}
        self.cell_of: dict[ast.AST, int] = {}
        self.nodes: dict[type, list[ast.AST]] = defaultdict(list)
        for position, cell in enumerate(self.cells):
            self.cell_of[cell.tree] = position
            for node in ast.walk(cell.tree):
                self.nodes[type(node)].append(node)
                for child in ast.iter_child_nodes(node):
                    self.parent[child] = node
                    self.cell_of[child] = position
        for kind in self.nodes:
            self.nodes[kind].sort(key=self.order)
        self.calls: list[ast.Call] = self.nodes[ast.Call]
        self.calls_by_method: dict[str, list[ast.Call]] = defaultdict(list)
        for call in self.calls:
            self.calls_by_method[self.method(call)].append(call)
        self._assigned: dict[str, list[ast.Assign]] = defaultdict(list)  # name -> its assignments, in order
        for assign in self.nodes[ast.Assign]:
            for target in assign.targets:
                if isinstance(target, ast.Name):
                    self._assigned[target.id].append(assign)
        self.reads: dict[str, list[ast.Name]] = defaultdict(list)  # name -> where it is read, in order
        for name in self.nodes[ast.Name]:
            if isinstance(name.ctx, ast.Load):
                self.reads[name.id].append(name)
        self._functions_of: dict[ast.AST, ast.AST | None] = {}
        self.star_modules: list[str] = []  # `from keras.layers import *`, in import order (filled by _imports)
        self.imports = self._imports()
        self.bound = {t.id for a in self.nodes[ast.Assign] for t in a.targets if isinstance(t, ast.Name)}
        self.functions: dict[str, list[ast.FunctionDef]] = defaultdict(list)
        for fn in self.nodes[ast.FunctionDef] + self.nodes[ast.AsyncFunctionDef]:
            self.functions[fn.name].append(fn)
        self.classes = {c.name for c in self.nodes[ast.ClassDef]}
        self._alias_map: dict[str, set[str]] | None = None
        self.values = Values(self)
        self.frameworks = self._frameworks()

    # -- positions and text -------------------------------------------------------------------------------------

    def order(self, node: ast.AST) -> tuple[int, int, int]:
        return (self.cell_of.get(node, 0), getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

    def cell_index(self, node: ast.AST) -> int | None:
        return self.cells[self.cell_of.get(node, 0)].index

    def text(self, node: ast.AST, limit: int = 80) -> str:
        """The expression as written, on one line (runs of whitespace collapsed), at most `limit` characters."""
        segment = self._segment(node)
        segment = " ".join(segment.split())
        return segment if len(segment) <= limit else segment[: limit - 1] + "…"

    def _segment(self, node: ast.AST) -> str:
        """ast.get_source_segment without re-splitting the whole cell on every call (offsets are UTF-8 bytes)."""
        position = self.cell_of.get(node, 0)
        lines = self._lines.get(position)
        if lines is None:
            lines = self._lines[position] = [line.encode("utf-8") for line in self.cells[position].text.split("\n")]
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if start is None or end is None or end > len(lines):
            return ast.unparse(node)
        if start == end:
            piece = lines[start - 1][node.col_offset : node.end_col_offset]
        else:
            piece = b"\n".join(
                [lines[start - 1][node.col_offset :], *lines[start : end - 1], lines[end - 1][: node.end_col_offset]]
            )
        return piece.decode("utf-8", errors="replace")

    # -- names ------------------------------------------------------------------------------------------------

    def _imports(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for node in sorted(self.nodes[ast.Import] + self.nodes[ast.ImportFrom], key=self.order):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        found[top] = top
            elif node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    elif node.module.split(".")[0] in LIBRARY_MODULES:
                        self.star_modules.append(node.module)
        return found

    def _star_module(self, name: str) -> str | None:
        """The library module a bare name comes from through `from module import *`, when the file has any."""
        if not self.star_modules or name in self.bound or name in self.functions or name in self.classes:
            return None
        for module in reversed(self.star_modules):
            if name in STAR_NAMES.get(normalize(module).split(".")[-1], ()):
                return module
        others = [m for m in self.star_modules if normalize(m).split(".")[-1] not in STAR_NAMES]
        return (others or self.star_modules)[-1]

    def qualname(self, node: ast.AST) -> str:
        """`nn.Dropout` -> 'torch.nn.Dropout' through the file's imports; `model.fit` stays 'model.fit'."""
        if node not in self._qualnames:
            self._qualnames[node] = self._qualname(node)
        return self._qualnames[node]

    def _qualname(self, node: ast.AST) -> str:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            root = self.imports.get(node.id)
            if root is None and node.id not in self.bound:
                root = CONVENTIONAL_ALIASES.get(node.id)
            if root is None and not parts:
                star = self._star_module(node.id)
                root = f"{star}.{node.id}" if star else None
            head = root or node.id
        elif isinstance(node, ast.Call):
            head = self.qualname(node.func) + "()"
        else:
            head = "?"
        return normalize(".".join([head, *reversed(parts)]))

    def is_imported(self, node: ast.AST) -> bool:
        """The call or name reaches a module (through an import or a conventional alias), not a local object."""
        while isinstance(node, ast.Attribute):  # `np.random.shuffle`, not `tf.data...from_tensor_slices(x).shuffle`
            node = node.value
        return isinstance(node, ast.Name) and (
            node.id in self.imports or (node.id not in self.bound and node.id in CONVENTIONAL_ALIASES)
        )

    def _frameworks(self) -> set[str]:
        imported = [*self.imports.values(), *self.star_modules]
        modules = {normalize(m + ".").split(".")[0] for m in imported}
        modules |= {normalize(m + ".")[: len("lightning.pytorch")] for m in imported}
        found = set()
        for framework, roots in (
            ("pytorch", {"torch"}),
            ("keras", {"keras", "tensorflow"}),
            ("hf", {"transformers", "trl", "peft", "accelerate"}),
            ("lightning", {"lightning.pytorch"}),
            ("sklearn", {"sklearn", "xgboost", "lightgbm", "catboost"}),
        ):
            if modules & roots:
                found.add(framework)
        return found

    # -- scopes -------------------------------------------------------------------------------------------------

    def ancestors(self, node: ast.AST):
        node = self.parent.get(node)
        while node is not None:
            yield node
            node = self.parent.get(node)

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        if node not in self._functions_of:
            self._functions_of[node] = next((a for a in self.ancestors(node) if isinstance(a, FUNCTIONS)), None)
        return self._functions_of[node]

    def class_of(self, node: ast.AST) -> ast.ClassDef | None:
        return next((a for a in self.ancestors(node) if isinstance(a, ast.ClassDef)), None)

    def loops_of(self, node: ast.AST) -> list[ast.AST]:
        """The loops around `node` in its own function, innermost first."""
        found = []
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, FUNCTIONS):
                break
            if isinstance(ancestor, LOOPS):
                found.append(ancestor)
        return found

    def walk(self, node: ast.AST):
        """`node` and everything under it, in source order."""
        return sorted(ast.walk(node), key=self.order)

    def calls_in(self, node: ast.AST) -> list[ast.Call]:
        return [n for n in self.walk(node) if isinstance(n, ast.Call)]

    def method(self, call: ast.Call) -> str:
        """The called name's last part: 'step' for `optimizer.step()`, 'Adam' for `optim.Adam(...)`."""
        func = call.func
        return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""

    def receiver(self, call: ast.Call) -> str:
        """The text of what a method is called on: 'self.optimizer' for `self.optimizer.step()`."""
        return self.text(call.func.value, 200) if isinstance(call.func, ast.Attribute) else ""

    def callers(self, fn: ast.FunctionDef) -> list[ast.Call]:
        """Calls of a function defined in the file, by its name (`train(...)`, `self.train(...)`) or through a name
        it was picked into (`infer_fn = [infer_basic, infer_mirror][level]`, then `infer_fn(x)`)."""
        calls = list(self.calls_by_method.get(fn.name, []))
        for alias in self._aliases().get(fn.name, ()):
            calls += self.calls_by_method.get(alias, [])
        return calls

    def _aliases(self) -> dict[str, set[str]]:
        """Function name -> the names assigned from an expression that mentions it without calling it."""
        if self._alias_map is None:
            self._alias_map = defaultdict(set)
            for assign in self.nodes[ast.Assign]:
                targets = [t.id for t in assign.targets if isinstance(t, ast.Name)]
                if not targets or isinstance(assign.value, (ast.Call, ast.Constant)):
                    continue
                called = {id(c.func) for c in ast.walk(assign.value) if isinstance(c, ast.Call)}
                for node in ast.walk(assign.value):
                    if isinstance(node, ast.Name) and id(node) not in called and node.id in self.functions:
                        self._alias_map[node.id].update(t for t in targets if t != node.id)
        return self._alias_map

    def arguments_for(self, fn: ast.FunctionDef, parameter: str) -> list[tuple[ast.Call, ast.AST]]:
        """(call, what it passes) for each call of `fn` in the file that passes `parameter`: the `ast.keyword` when
        passed by name, else the positional argument (`self`/`cls` not counted; none after a `*args`)."""
        positional = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        if positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        index = positional.index(parameter) if parameter in positional else None
        passed = []
        for call in self.callers(fn):
            keyword = next((k for k in call.keywords if k.arg == parameter), None)
            if keyword is not None:
                passed.append((call, keyword))
            elif index is not None and index < len(call.args):
                if not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
                    passed.append((call, call.args[index]))
        return passed

    def from_project(self, node: ast.AST) -> bool:
        """The called name comes through an import of a module that is no library kb knows: the project's own code,
        in files kb does not see (`from dataset.pairs import OmniglotPairs`, `utils.ColorJitter`)."""
        return self.is_imported(node) and self.qualname(node).split(".")[0] not in LIBRARY_MODULES

    def is_parameter(self, name: ast.Name) -> bool:
        """The name is a parameter of the function it is used in."""
        fn = self.function_of(name)
        if fn is None:
            return False
        args = fn.args
        every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
        return any(a.arg == name.id for a in every)

    def no_grad_context(self, expr: ast.AST) -> bool:
        name = self.qualname(expr.func if isinstance(expr, ast.Call) else expr).split(".")[-1]
        if name not in NO_GRAD_CONTEXTS:
            return False
        if name == "set_grad_enabled" and isinstance(expr, ast.Call) and expr.args:
            arg = expr.args[0]
            return not (isinstance(arg, ast.Constant) and arg.value is True)
        return True

    def under_no_grad(self, node: ast.AST, depth: int = 2) -> bool:
        """Inside `with torch.no_grad()` (or inference_mode, set_grad_enabled(False)), a decorated function, or a
        function called only from such places (followed `depth` calls up)."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (ast.With, ast.AsyncWith)):
                if any(self.no_grad_context(item.context_expr) for item in ancestor.items):
                    return True
            elif isinstance(ancestor, FUNCTIONS):
                if any(self.no_grad_context(d) for d in ancestor.decorator_list):
                    return True
                if self._grad_switched_off_before(ancestor, node):
                    return True
                callers = self.callers(ancestor)
                if depth and callers and all(self.under_no_grad(c, depth - 1) for c in callers):
                    return True
                return False
        return False

    def _grad_switched_off_before(self, fn: ast.AST, node: ast.AST) -> bool:
        return any(
            isinstance(c, ast.Call)
            and self.qualname(c.func).endswith("set_grad_enabled")
            and self.no_grad_context(c)
            and self.order(c) < self.order(node)
            for c in self.calls_in(fn)
            if isinstance(self.parent.get(c), ast.Expr)
        )

    # -- values (kb.explanation.values) ------------------------------------------------------------------------

    def resolve(self, node: ast.AST) -> tuple[str, str] | None:
        return self.values.resolve(node)

    def number(self, node: ast.AST) -> float | None:
        return self.values.number(node)

    def assignment(self, name: str, before: ast.AST) -> ast.AST | None:
        """The value last assigned to `name` before `before`, in the same function, else at the top level."""
        scope, limit = self.function_of(before), self.order(before)
        best = outer = None
        for assign in self._assigned.get(name, ()):
            if self.order(assign) >= limit:
                break
            owner = self.function_of(assign)
            if owner is scope:
                best = assign.value
            elif owner is None:
                outer = assign.value
        return best if best is not None else outer

    def assignments_of(self, name: str) -> list[ast.Assign]:
        """Every `name = ...` of the file, in order."""
        return self._assigned.get(name, [])

    def assigned_name(self, node: ast.AST) -> str:
        """The name an expression is stored into (`train_loader = DataLoader(...)` -> 'train_loader'), else ''."""
        parent = self.parent.get(node)
        while isinstance(parent, ast.Attribute) and isinstance(self.parent.get(parent), ast.Call):
            node = self.parent[parent]  # DataLoader(...).cuda(): the chain's result is what gets stored
            parent = self.parent.get(node)
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return " ".join(self.text(t, 200) for t in targets)
        if isinstance(parent, ast.keyword) and parent.arg:
            return parent.arg
        if isinstance(parent, ast.Return):
            fn = self.function_of(parent)
            return fn.name if fn is not None else ""
        return ""
