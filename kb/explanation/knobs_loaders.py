"""PyTorch DataLoaders: which loader trains (its name, its dataset, its function) and its batch size and shuffling,
reported where they are set, which for a loader factory is where the training loader is made."""

from __future__ import annotations

import ast

from .code import Code, role_of
from .knobs import Found


def loader_role(code: Code, call: ast.Call) -> str | None:
    """'train' or 'eval' from the loader's name, then its dataset (`train=False`, `valdir`), then its function."""
    stored = role_of(code.assigned_name(call))
    if stored:
        return stored
    dataset = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "dataset"), None)
    if isinstance(dataset, ast.Call):
        for keyword in dataset.keywords:
            if keyword.arg == "train" and isinstance(keyword.value, ast.Constant):
                return "train" if keyword.value.value else "eval"
            if keyword.arg in ("split", "subset") and isinstance(keyword.value, ast.Constant):
                return role_of(str(keyword.value.value))
        dataset = dataset.args[0] if dataset.args else None
    from_data = role_of(code.text(dataset, 200)) if dataset is not None else None
    if from_data:
        return from_data
    fn = code.function_of(call)
    return role_of(fn.name) if fn is not None else None


def data_loader(found: Found, call: ast.Call) -> bool:
    code = found.code
    if code.qualname(call.func).split(".")[-1] != "DataLoader" or code.qualname(call.func).startswith("keras."):
        return False
    if loader_role(code, call) == "eval":
        return True  # a validation loader's batch size and order do not change training
    size = next((k for k in call.keywords if k.arg == "batch_size"), None)
    if size is not None:
        if not _at_call_sites(found, call, size.value, "batch_size"):
            found.keyword(size, "batch_size", "pytorch")
    elif len(call.args) > 1:
        found.add("batch_size", call.args[1], call.args[1], "pytorch")
    for keyword in call.keywords:
        if keyword.arg == "shuffle" and not _at_call_sites(found, call, keyword.value, "shuffle"):
            found.keyword(keyword, "shuffle", "pytorch")
    return True


def _at_call_sites(found: Found, loader: ast.Call, value: ast.AST, kind: str) -> bool:
    """A loader factory (`def get_data_loader(dataset, batch_size, shuffle=False): return DataLoader(...)`) gets
    its settings from its callers: report them where the training loader is made (`train_loader =
    get_data_loader(train_data, 512, shuffle=True)`), not inside the factory. False when no caller passes it."""
    code = found.code
    fn = code.function_of(loader)
    if not isinstance(value, ast.Name) or fn is None or not code.is_parameter(value):
        return False
    reported = False
    for caller, passed in code.arguments_for(fn, value.id):
        if role_of(code.assigned_name(caller)) == "eval":
            continue  # the validation loader's batch size does not change training
        if isinstance(passed, ast.keyword):
            found.keyword(passed, kind, "pytorch")
        else:
            found.add(kind, passed, passed, "pytorch")
        reported = True
    return reported
