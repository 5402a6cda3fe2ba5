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


OPTIMIZER_FACTORIES = {"configure_optimizers", "configure_optimizer", "create_optimizer", "build_optimizer"}
OPTIMIZER_FACTORIES |= {"get_optimizer", "make_optimizer", "init_optimizer", "setup_optimizer"}
# what an argument sets, by the last word of its name: `self.config.learning_rate`, `args.wd`, `(beta1, beta2)`
FACTORY_ARGUMENTS = {"lr": "learning_rate", "learning_rate": "learning_rate", "weight_decay": "weight_decay"}
FACTORY_ARGUMENTS |= {"wd": "weight_decay", "momentum": "momentum", "betas": "betas"}


def optimizer_factory(code: Code, call: ast.Call) -> list[tuple[str, ast.AST]] | None:
    """A project's own function that builds the optimizer from the settings it is handed, as nanoGPT's
    `model.configure_optimizers(weight_decay, learning_rate, (beta1, beta2), device_type)` (copied into many
    repositories): (kind, argument) for each argument whose name says which setting it is, or None when the call is
    no such factory. Library methods of the same name take no settings (`Trainer.create_optimizer()`)."""
    if code.method(call) not in OPTIMIZER_FACTORIES or not (call.args or call.keywords):
        return None
    settings: list[tuple[str, ast.AST]] = []
    for value, keyword in [*((a, None) for a in call.args), *((k.value, k.arg) for k in call.keywords)]:
        kind = _setting_named(code, value) or FACTORY_ARGUMENTS.get(keyword or "")
        if kind:
            settings.append((kind, value))
    return settings or None


def _setting_named(code: Code, value: ast.AST) -> str | None:
    """The setting an argument's own name says it is: `(beta1, beta2)` -> betas, `self.config.learning_rate`."""
    if isinstance(value, ast.Tuple) and value.elts and all("beta" in code.text(e) for e in value.elts):
        return "betas"
    if isinstance(value, (ast.Name, ast.Attribute)):
        return FACTORY_ARGUMENTS.get(code.text(value).split(".")[-1].lower())
    return None
