"""What a name in the code is set to: module-level constants, argparse defaults, parameter defaults; and literal
numbers (`1e-3`, `10. ** -2`). Read statically: nothing is run."""

from __future__ import annotations

import ast
from collections import defaultdict


def literal(node: ast.AST):
    """The value of a literal expression (numbers, strings, tuples, `10. ** -2`, `-100`), else raises ValueError."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.Mult, ast.Div, ast.Add, ast.Sub)):
        left, right = literal(node.left), literal(node.right)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            raise ValueError("not a number")
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("too big")
        ops = {ast.Pow: lambda a, b: a**b, ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}
        ops |= {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b}
        try:
            return ops[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
    return ast.literal_eval(node)


class Values:
    """The values of one script's names, found once."""

    def __init__(self, code):
        self.code = code
        self.namespaces, self.arg_defaults = self._argparse()
        self.constants = self._constants()
        self._passing: set[tuple[str, str]] = set()  # (callee, parameter) being resolved: no endless recursion

    def _argparse(self) -> tuple[set[str], dict[str, ast.AST | None]]:
        """Names bound to `parser.parse_args()` and each option's default (by its dest)."""
        namespaces, defaults = set(), {}
        for call in self.code.calls:
            name = self.code.method(call)
            if name in ("parse_args", "parse_known_args"):
                target = self.code.parent.get(call)
                if isinstance(target, ast.Subscript):  # parse_known_args()[0]
                    target = self.code.parent.get(target)
                if isinstance(target, ast.Assign):
                    for t in target.targets:
                        first = t.elts[0] if isinstance(t, ast.Tuple) and t.elts else t
                        if isinstance(first, ast.Name):
                            namespaces.add(first.id)
            elif name == "add_argument":
                options = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                keywords = {k.arg: k.value for k in call.keywords if k.arg}
                dest = keywords.get("dest")
                if isinstance(dest, ast.Constant) and isinstance(dest.value, str):
                    key = dest.value
                else:
                    longs = [o for o in options if o.startswith("--")] or options
                    if not longs:
                        continue
                    key = longs[0].lstrip("-").replace("-", "_")
                action = keywords.get("action")
                default = keywords.get("default")
                if default is None and isinstance(action, ast.Constant) and action.value == "store_true":
                    default = ast.Constant(False)
                defaults[key] = default
        return namespaces, defaults

    def _constants(self) -> dict[str, ast.AST]:
        """Names assigned exactly once at the top level of the file (or of a cell), to a literal value."""
        seen: dict[str, list[ast.AST]] = defaultdict(list)
        for cell in self.code.cells:
            for stmt in cell.tree.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else []
                if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                    targets = [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        seen[target.id].append(stmt.value)
                    elif isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                        for t, v in zip(target.elts, stmt.value.elts):
                            if isinstance(t, ast.Name):
                                seen[t.id].append(v)
        found = {}
        for name, values in seen.items():
            if len(values) == 1:
                try:
                    literal(values[0])
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
                found[name] = values[0]
        return found

    def resolve(self, node: ast.AST) -> tuple[str, str] | None:
        """(value, where it is set) for a name: a module-level constant, an argparse default, a parameter default."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in self.namespaces and node.attr in self.arg_defaults:
                default = self.arg_defaults[node.attr]
                return (self.code.text(default) if default is not None else "None", "argparse default")
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Tuple, ast.List)):
            return self._resolve_parts(node)
        if isinstance(node, ast.Attribute) and self.code.text(node.value) in ("self", "self.hparams"):
            return self._init_default(node)
        if not isinstance(node, ast.Name):
            return None
        fn = self.code.function_of(node)
        if fn is not None:
            args = fn.args
            positional = args.posonlyargs + args.args
            for arg, default in zip(positional[len(positional) - len(args.defaults) :], args.defaults):
                if arg.arg == node.id:
                    return self._passed(fn.name, positional, arg.arg) or (
                        self.code.text(default),
                        f"default of {fn.name}()",
                    )
            for arg, default in zip(args.kwonlyargs, args.kw_defaults):
                if arg.arg == node.id and default is not None:
                    return self._passed(fn.name, [], arg.arg) or (self.code.text(default), f"default of {fn.name}()")
            local = self.code.assignment(node.id, node)  # `batch_size = 32` earlier in the same function
            if local is not None and self.code.function_of(local) is fn and isinstance(local, ast.Constant):
                if isinstance(local.value, (int, float)) and not isinstance(local.value, bool):
                    cell, where = self.code.cell_index(local), f"line {local.lineno}"
                    return self.code.text(local), where if cell is None else f"cell {cell} {where}"
        if node.id in self.constants:
            value = self.constants[node.id]
            where = f"line {value.lineno}"
            cell = self.code.cell_index(value)
            return self.code.text(value), where if cell is None else f"cell {cell} {where}"
        return None

    def _init_default(self, node: ast.Attribute) -> tuple[str, str] | None:
        """`self.hparams.lr` or `self.lr` in a class whose __init__ takes `lr=1e-3` (Lightning's hyperparameters)."""
        cls = self.code.class_of(node)
        methods = cls.body if cls else []
        init = next((f for f in methods if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
        if init is None:
            return None
        args = init.args
        positional = args.posonlyargs + args.args
        pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        for arg, default in pairs:
            if arg.arg == node.attr:
                return self._passed(cls.name, positional[1:], arg.arg) or (
                    self.code.text(default),
                    f"default of {cls.name}.__init__()",
                )
        return None

    def _passed(self, callee: str, positional: list[ast.arg], name: str) -> tuple[str, str] | None:
        """The value the file itself passes for parameter `name` when it calls `callee` (`LitModel(backbone,
        args.lr)`): the default is not what runs then. The first call that passes it decides."""
        if (callee, name) in self._passing:  # `def f(x=1): ... f(x)`: the call passes the default itself
            return None
        index = next((i for i, arg in enumerate(positional) if arg.arg == name), None)
        self._passing.add((callee, name))
        try:
            return self._first_passed(callee, index, name)
        finally:
            self._passing.discard((callee, name))

    def _first_passed(self, callee: str, index: int | None, name: str) -> tuple[str, str] | None:
        for call in self.code.calls:
            if self.code.qualname(call.func).split(".")[-1] != callee:
                continue
            inside = [a for a in self.code.ancestors(call) if isinstance(a, (ast.FunctionDef, ast.ClassDef))]
            if any(a.name == callee for a in inside):
                continue  # a recursive call (or a class building itself) passes what it was given
            value = next((k.value for k in call.keywords if k.arg == name), None)
            before = call.args[:index] if index is not None else []
            if value is None and index is not None and index < len(call.args):
                if not any(isinstance(a, ast.Starred) for a in before + [call.args[index]]):
                    value = call.args[index]
            if value is None:
                continue
            passed = f"passed to {callee}() on line {call.lineno}"
            resolved = self.resolve(value) if not isinstance(value, ast.Constant) else None
            if resolved is not None:
                return resolved[0], f"{resolved[1]}, {passed}"
            return self.code.text(value), passed
        return None

    def _resolve_parts(self, node: ast.AST) -> tuple[str, str] | None:
        """`args.epochs + 1` -> ('10 + 1', 'argparse default'); `(opt.beta1, 0.999)` -> ('(0.5, 0.999)', ...)."""
        text, where = self.code.text(node, 200), None
        for part in ast.walk(node):
            if part is node or not isinstance(part, (ast.Name, ast.Attribute)):
                continue
            if isinstance(self.code.parent.get(part), ast.Attribute):
                continue
            resolved = self.resolve(part)
            if resolved is not None:
                text = text.replace(self.code.text(part, 200), resolved[0], 1)
                where = where or resolved[1]
        return (text, where) if where else None

    def number(self, node: ast.AST) -> float | None:
        """The number an expression is, or resolves to; None when unknown."""
        for candidate in (node, self._resolved_node(node)):
            if candidate is None:
                continue
            try:
                value = literal(candidate)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

    def _resolved_node(self, node: ast.AST) -> ast.AST | None:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in self.namespaces:
                return self.arg_defaults.get(node.attr)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None
