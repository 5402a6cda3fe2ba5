"""scikit-learn (and XGBoost, LightGBM, CatBoost) knobs: estimators and their hyperparameters, search grids, manual
sweeps over a list of values, scalers, and the shuffling and seeds of splitters."""

from __future__ import annotations

import ast

from .code import Code
from .knobs import Found, read_keywords

ESTIMATOR_MODULES = {"svm", "ensemble", "linear_model", "neighbors", "tree", "naive_bayes", "gaussian_process"}
ESTIMATOR_MODULES |= {"discriminant_analysis", "lda", "qda", "neural_network", "kernel_ridge", "cluster", "mixture"}
ESTIMATOR_MODULES |= {"semi_supervised", "multiclass", "multioutput", "calibration", "isotonic", "dummy"}
BOOSTING_LIBRARIES = ("xgboost.", "lightgbm.", "catboost.")
BOOSTING = ("GradientBoosting", "HistGradientBoosting", "XGB", "LGBM", "CatBoost")
ESTIMATOR_NAMES = {"SVC", "SVR", "LinearSVC", "LogisticRegression", "LinearRegression", "Ridge", "Lasso"}
ESTIMATOR_NAMES |= {"ElasticNet", "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier"}
ESTIMATOR_NAMES |= {"GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoostingClassifier"}
ESTIMATOR_NAMES |= {"HistGradientBoostingRegressor", "KNeighborsClassifier", "KNeighborsRegressor", "GaussianNB"}
ESTIMATOR_NAMES |= {"DecisionTreeClassifier", "DecisionTreeRegressor", "MLPClassifier", "MLPRegressor", "SGDClassifier"}
ESTIMATOR_NAMES |= {"XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor", "AdaBoostClassifier"}
SEARCHES = {"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV", "BayesSearchCV"}
GRID_KEYWORDS = ("param_grid", "param_distributions", "search_spaces")
SCALERS = {"StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "Normalizer", "Scaler"}
SCALERS |= {"QuantileTransformer", "PowerTransformer"}
SPLITTERS = {"KFold", "StratifiedKFold", "GroupKFold", "RepeatedKFold", "RepeatedStratifiedKFold", "ShuffleSplit"}
SPLITTERS |= {"StratifiedShuffleSplit", "StratifiedGroupKFold"}
# Keywords that are not hyperparameters of the model (how it runs, or knobs of another kind).
NOT_HYPERPARAMETERS = {"n_jobs", "verbose", "probability", "copy", "copy_X", "cache_size", "warm_start", "device"}
# the boosting libraries' settings that change what is printed, measured or used to run, not what is learned
NOT_HYPERPARAMETERS |= {"metric", "eval_metric", "verbosity", "silent", "num_threads", "nthread", "tree_learner"}
NOT_HYPERPARAMETERS |= {"gpu_id", "tree_method_device", "task_type", "thread_count", "devices"}  # CatBoost's too
OTHER_KINDS = {"random_state": "seed", "seed": "seed", "random_seed": "seed", "class_weight": "class_weight"}
OTHER_KINDS |= {"loss_function": "loss"}  # CatBoost names its loss outright ("Logloss", "RMSE")
OTHER_KINDS |= {"early_stopping": "early_stopping", "n_iter_no_change": "early_stopping"}
OTHER_KINDS |= {"early_stopping_rounds": "early_stopping"}
SWEEP_CALLS = {"logspace", "linspace", "arange", "geomspace"}


def _name(code: Code, call: ast.Call) -> tuple[str, str]:
    qualname = code.qualname(call.func)
    return qualname, qualname.split(".")[-1]


def is_estimator(code: Code, call: ast.Call) -> bool:
    qualname, name = _name(code, call)
    if not name[:1].isupper():
        return False
    if qualname.startswith(BOOSTING_LIBRARIES):
        return name.startswith(BOOSTING)
    parts = qualname.split(".")
    if parts[0] == "sklearn" and len(parts) >= 3:
        return parts[1] in ESTIMATOR_MODULES and "kernels" not in parts
    return qualname == name and name not in code.imports and name in ESTIMATOR_NAMES


def _in_search(code: Code, call: ast.Call) -> bool:
    parent = code.parent.get(call)
    if isinstance(parent, ast.keyword) and parent.arg == "estimator":
        parent = code.parent.get(parent)
    return isinstance(parent, ast.Call) and _name(code, parent)[1] in SEARCHES


def estimator_page(code: Code, call: ast.Call) -> str:
    name = _name(code, call)[1]
    if name.startswith(BOOSTING):
        return "gradient-boosting"
    return "hyperparameter-search" if _in_search(code, call) else "bias-variance"


def _entries(found: Found, mapping: ast.Dict, page: str, group: int) -> bool:
    """A dict of hyperparameters (`**params`, a grid): one knob per entry, at its line."""
    code = found.code
    any_hyper = False
    for key, value in zip(mapping.keys, mapping.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        if key.value in OTHER_KINDS:
            found.add(OTHER_KINDS[key.value], key, value, "sklearn")
        elif key.value not in NOT_HYPERPARAMETERS:
            # a value an Optuna trial suggests is searched, whatever the estimator: `trial.suggest_float(...)`
            searched = isinstance(value, ast.Call) and code.method(value).startswith("suggest_")
            entry_page = "hyperparameter-search" if searched else page
            found.add("model_estimator", key, f"{code.text(key)}: {code.text(value)}", "sklearn", entry_page, group)
            any_hyper = True
    return any_hyper


def _resolved_literal(code: Code, node: ast.AST, before: ast.AST) -> ast.AST | None:
    if isinstance(node, ast.Name):
        node = code.assignment(node.id, before)
    return node


def estimator(found: Found, call: ast.Call) -> bool:
    code = found.code
    if not is_estimator(code, call):
        return False
    page = estimator_page(code, call)
    any_hyper = bool(call.args)
    for keyword in call.keywords:
        if keyword.arg is None:  # **params
            params = _resolved_literal(code, keyword.value, call)
            if isinstance(params, ast.Dict) and _entries(found, params, page, id(call)):
                any_hyper = True
            continue
        if keyword.arg in OTHER_KINDS:
            found.keyword(keyword, OTHER_KINDS[keyword.arg], "sklearn")
        elif keyword.arg not in NOT_HYPERPARAMETERS:
            value = f"{keyword.arg}={code.text(keyword.value)}"
            found.add("model_estimator", keyword, value, "sklearn", page, id(call))
            _sweep(found, keyword.value, page)
            any_hyper = True
    if not any_hyper or call.args:
        found.add("model_estimator", call, code.text(call), "sklearn", page)
    return True


def _sweep(found: Found, value: ast.AST, page: str) -> None:
    """`for C in C_range: SVC(C=C)`: the list swept over is set where it is written."""
    code = found.code
    if not isinstance(value, ast.Name):
        return
    for loop in code.loops_of(value):
        if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and loop.target.id == value.id:
            values = _resolved_literal(code, loop.iter, loop)
            sweep_call = isinstance(values, ast.Call) and code.method(values) in SWEEP_CALLS
            if isinstance(values, (ast.List, ast.Tuple)) or sweep_call:
                statement = code.parent.get(values) if values is not loop.iter else loop
                found.add("model_estimator", statement or loop, values, "sklearn", page)
            return


def search(found: Found, call: ast.Call) -> bool:
    """GridSearchCV(estimator, param_grid): the grid's entries (a list of dicts: one knob per dict)."""
    code = found.code
    if _name(code, call)[1] not in SEARCHES:
        return False
    grid = next((k.value for k in call.keywords if k.arg in GRID_KEYWORDS), None)
    if grid is None and len(call.args) > 1:
        grid = call.args[1]
    grid = _resolved_literal(code, grid, call) if grid is not None else None
    if isinstance(grid, (ast.List, ast.Tuple)):
        for element in grid.elts:
            if isinstance(element, ast.Dict):
                found.add("model_estimator", element, element, "sklearn", "hyperparameter-search")
    elif isinstance(grid, ast.Dict):
        _entries(found, grid, "hyperparameter-search", id(call))
    read_keywords(found, call, "sklearn")
    return True


def preprocessing(found: Found, call: ast.Call) -> bool:
    """Scalers (input normalization) and splitters (shuffle, seed)."""
    code = found.code
    qualname, name = _name(code, call)
    from_sklearn = qualname.startswith("sklearn.") or (qualname == name and name not in code.imports)
    if not from_sklearn:
        return False
    if name in SCALERS:
        found.add("input_normalization", call, code.text(call), "sklearn")
    elif name in SPLITTERS:
        for keyword in call.keywords:
            if keyword.arg == "shuffle":
                found.keyword(keyword, "shuffle", "sklearn")
        read_keywords(found, call, "sklearn")
    else:
        return False
    return True


NATIVE_TRAINING = {"lightgbm.train", "lightgbm.cv", "xgboost.train", "xgboost.cv"}


def _params_dict(code, node: ast.AST, call: ast.Call) -> ast.Dict | None:
    """The dict a name holds where the call uses it, following a function's parameter to the callers' argument
    (`def cv(param, X, y): lgb.train(param, ...)` called as `cv(param, X, y)` with a module-level `param = {...}`)."""
    if isinstance(node, ast.Dict):
        return node
    if not isinstance(node, ast.Name):
        return None
    found = code.assignment(node.id, call)
    if isinstance(found, ast.Dict):
        return found
    fn = code.function_of(call)
    if fn is None or not code.is_parameter(node):
        return None
    for caller, passed in code.arguments_for(fn, node.id):
        argument = passed.value if isinstance(passed, ast.keyword) else passed
        if isinstance(argument, ast.Name):
            found = code.assignment(argument.id, caller)
            if isinstance(found, ast.Dict):
                return found
    return None


def native_training(found: Found, call: ast.Call) -> bool:
    """LightGBM's and XGBoost's own training functions: `lgb.train(params, train_set, num_boost_round)`. The params
    dict's entries are the hyperparameters, reported where the dict writes them; the number of rounds where set."""
    code = found.code
    if code.qualname(call.func) not in NATIVE_TRAINING:
        return False
    params = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "params"), None)
    table = _params_dict(code, params, call) if params is not None else None
    if table is not None:
        _entries(found, table, "gradient-boosting", id(table))
    rounds = (
        call.args[2]
        if len(call.args) > 2
        else next((k.value for k in call.keywords if k.arg == "num_boost_round"), None)
    )
    if rounds is not None:
        found.add("model_estimator", rounds, rounds, "sklearn", "gradient-boosting")
    for keyword in call.keywords:
        if keyword.arg == "early_stopping_rounds":
            found.keyword(keyword, "early_stopping", "sklearn")
    return True


# The boosting libraries' early-stopping callbacks: `callbacks=[lgb.early_stopping(100)]` (LightGBM 4 dropped the
# fit() keyword for it) and XGBoost's `xgb.callback.EarlyStopping(rounds=50)`.
EARLY_STOPPING_CALLBACKS = {"lightgbm.early_stopping", "lightgbm.callback.early_stopping"}
EARLY_STOPPING_CALLBACKS |= {"xgboost.callback.EarlyStopping"}


def boosting_callbacks(found: Found, call: ast.Call) -> bool:
    if found.code.qualname(call.func) not in EARLY_STOPPING_CALLBACKS:
        return False
    found.add("early_stopping", call, call, "sklearn")
    return True


CALLS = [estimator, search, preprocessing, native_training, boosting_callbacks]
STATEMENTS: list = []
