"""The training helpers a project writes itself and names like the libraries' (a loss class, a clipping function,
a schedule built from a base rate): kb reads them by their names and arguments, since their code is in files it
does not see."""

from __future__ import annotations

import ast

from .code import Code, words


def base_lr_argument(code: Code, call: ast.Call) -> ast.AST | None:
    """The argument a schedule gets its base learning rate from (`args.lr`, `base_lr=0.01`), by its name."""
    for keyword in call.keywords:
        if keyword.arg in ("lr", "base_lr", "learning_rate", "init_lr", "max_lr"):
            return keyword.value
    for arg in call.args:
        if isinstance(arg, (ast.Name, ast.Attribute)) and set(words(code.text(arg))) & {"lr", "learning"}:
            return arg
    return None


def project_loss(code: Code, call: ast.Call) -> bool:
    """A loss class the project writes itself, stored as the criterion: `criterion = CombinedLoss(...)`."""
    name = code.qualname(call.func).split(".")[-1]
    stored = set(words(code.assigned_name(call)))
    return name.endswith("Loss") and name[:1].isupper() and bool(stored & {"criterion", "loss", "lossfn", "fn"})


def project_clipping(code: Code, call: ast.Call) -> bool:
    """A clipping helper the project writes itself, called with the optimizer or the parameters and a limit:
    `clip_gradient(optimizer, opt.clip)` (a helper many segmentation repositories share)."""
    words_ = set(words(code.method(call)))
    return (
        bool(words_ & {"clip", "clipping"})
        and bool(words_ & {"grad", "grads", "gradient", "gradients"})
        and len(call.args) > 1
        and (code.from_project(call.func) or code.method(call) in code.functions)
    )
