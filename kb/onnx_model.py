"""The fast path for queries: the sentence-transformers model exported once to ONNX, run with onnxruntime and
tokenizers, so that answering a query never imports torch or sentence-transformers (~10x faster cold start).

The export is checked against sentence-transformers on probe sentences before it is used (cosine >= 0.9999),
and pages and queries are both embedded through it, so they are embedded exactly alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .digest import file_sha256

EXPORT_FORMAT = 4  # 4: the export is sealed (file hashes and probe embeddings in kb-model.json, see `seal`)
MIN_COSINE = 0.9999  # the float32 export against sentence-transformers
# Weight-only int8 MatMuls (kb.quantize; MatMulNBits, blocks of 16, int8 compute): session start ~1.4x faster, a
# query as fast as float32, cosine >= 0.999 to sentence-transformers (measured 0.9993-0.9998). Kept only when it
# passes MIN_COSINE_INT8, else float32.
MIN_COSINE_INT8 = 0.999
PROBES = [
    "val accuracy plateau",
    "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
    "My training loss goes down but the validation loss goes up after epoch 3. " * 12,  # past 256 tokens
    "a",
]


class ExportUnsupported(Exception):
    """The model's pipeline is not Transformer -> mean/CLS pooling (-> Normalize): keep sentence-transformers."""


class OnnxEmbedder:
    def __init__(self, folder: Path, model: bytes | None = None):
        """The export in `folder`; `model` (a serialized ONNX model) replaces its model.onnx, e.g. to check a
        re-quantized copy with the same tokenizer and pooling."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = folder
        self.config = json.loads((folder / "kb-model.json").read_text())
        if self.config.get("format") != EXPORT_FORMAT:
            raise ValueError("export from another kb version")
        model_file = folder / "model.onnx"
        if (
            model is None
            and [(folder / f).stat().st_size for f in ("model.onnx", "model.onnx.data")] != self.config["onnx_bytes"]
        ):
            raise ValueError("model.onnx has the wrong size")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json carries the hub's own truncation (128 for MiniLM); sentence-transformers cuts at its
        # max_seq_length (256) instead, and so must we, or long queries embed differently from pages.
        self.tokenizer.enable_truncation(max_length=self.config["max_seq_length"])
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Spinning worker threads burn the CPU that a busy machine (or the user's training run) needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Basic (semantics-preserving) graph rewrites only: session start is ~2x faster than with the default
        # fusions, and a single query runs equally fast (~3 ms) either way.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        self.session = ort.InferenceSession(
            model if model is not None else str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dim = int(self.config["dim"])

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings])  # similar lengths together: less padding
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[r].ids) for r in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, r in enumerate(rows):
                n = len(encodings[r].ids)
                ids[i, :n] = encodings[r].ids
                mask[i, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            if self.config["pooling"] == "cls":
                pooled = hidden[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            # kb compares by cosine, so vectors are unit length even for models without a Normalize module
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out


def export_dir(home: Path, name: str, identity: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[-40:]
    return home / "models" / f"{safe}-{hashlib.sha256(f'{name}|{identity}'.encode()).hexdigest()[:12]}"


def export(st_model, folder: Path, name: str) -> OnnxEmbedder:
    """Export a loaded SentenceTransformer to `folder` (atomically), verify it, and return it loaded."""
    import torch

    modules = list(st_model)
    kinds = [type(m).__name__ for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise ExportUnsupported(f"pipeline {kinds}")
    pooling = modules[1].get_pooling_mode_str() if hasattr(modules[1], "get_pooling_mode_str") else "mean"
    if pooling not in ("mean", "cls"):
        raise ExportUnsupported(f"pooling {pooling}")
    transformer = modules[0].auto_model.eval()
    tokenizer = modules[0].tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ExportUnsupported("no fast tokenizer")
    import inspect

    takes_token_types = "token_type_ids" in inspect.signature(transformer.forward).parameters
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_token_types else [])

    class Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return self.model(**dict(zip(names, args))).last_hidden_state

    sample = tokenizer(["an example sentence"], return_tensors="pt")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Hidden(transformer),
                tuple(sample[n] for n in names),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                opset_version=17,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                dynamo=False,
            )
        # Weights in a side file: onnxruntime maps it instead of copying it, which halves peak memory (~120 MB).
        import onnx

        graph = onnx.load(str(tmp / "model.onnx"))
        onnx.save_model(
            graph,
            str(tmp / "model.onnx"),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location="model.onnx.data",
            size_threshold=1024,
        )
        del graph
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        get_dim = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
        dim = int(get_dim())
        (tmp / "kb-model.json").write_text(
            json.dumps(
                {
                    "format": EXPORT_FORMAT,
                    "model": name,
                    "max_seq_length": int(st_model.max_seq_length),
                    "pooling": pooling,
                    "normalize": "Normalize" in kinds,
                    "dim": dim,
                    "weights": "float32",
                    "onnx_bytes": [(tmp / f).stat().st_size for f in ("model.onnx", "model.onnx.data")],
                }
            )
        )
        reference = st_model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        cosine = (OnnxEmbedder(tmp).encode(PROBES) * reference).sum(axis=1)
        if cosine.min() < MIN_COSINE:
            raise ExportUnsupported(f"ONNX export differs from sentence-transformers (cosine {cosine.min():.5f})")
        _quantize_if_faithful(tmp, reference)
        seal(tmp)
        tmp.chmod(0o755)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return OnnxEmbedder(folder)


def _quantize_if_faithful(folder: Path, reference: np.ndarray) -> None:
    """Replace the float32 model in `folder` by its weight-only int8 version if that embeds the probes within
    MIN_COSINE_INT8 of sentence-transformers (`reference`); otherwise leave the float32 model."""
    import onnx

    from .quantize import quantize_matmuls

    quantized = quantize_matmuls(onnx.load(str(folder / "model.onnx")))
    if quantized is None:
        return
    trial = folder / "int8"
    trial.mkdir()
    onnx.save_model(
        quantized,
        str(trial / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="model.onnx.data",
        size_threshold=1024,
    )
    del quantized
    config_file = folder / "kb-model.json"
    float_config = json.loads(config_file.read_text())
    shutil.copy(folder / "tokenizer.json", trial / "tokenizer.json")
    (trial / "kb-model.json").write_text(
        json.dumps(
            {
                **float_config,
                "weights": "int8",
                "onnx_bytes": [(trial / f).stat().st_size for f in ("model.onnx", "model.onnx.data")],
            }
        )
    )
    cosine = (OnnxEmbedder(trial).encode(PROBES) * reference).sum(axis=1)
    if cosine.min() >= MIN_COSINE_INT8:
        for name in ("model.onnx", "model.onnx.data", "kb-model.json"):
            os.replace(trial / name, folder / name)
    shutil.rmtree(trial)


SEALED_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json")
PROBE_MATCH = 0.9999  # a sealed export must embed its probes as it did when it was sealed (measured: 1.000000)


def seal(folder: Path) -> None:
    """Record in kb-model.json what the export must stay: each file's sha256, their combined identity
    (`content_sha256`, which indexes are stamped with) and the embeddings of the probe sentences."""
    config_file = folder / "kb-model.json"
    config = json.loads(config_file.read_text())
    hashes = {name: file_sha256(folder / name) for name in SEALED_FILES}
    probes = OnnxEmbedder(folder).encode(PROBES)
    config.update(
        files_sha256=hashes,
        probe_vectors=np.round(probes, 7).tolist(),
        content_sha256=hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest(),
    )
    config_file.write_text(json.dumps(config))


def export_identity(folder: Path) -> str | None:
    """The sealed identity of the export in `folder` (a cheap JSON read), or None when there is none."""
    try:
        return json.loads((folder / "kb-model.json").read_text()).get("content_sha256")
    except (OSError, ValueError, AttributeError):
        return None


def verify(embedder: OnnxEmbedder, stamp_file: Path) -> None:
    """Raise ValueError unless the loaded export is the one that was sealed: every file's sha256 and the probe
    embeddings must match. Hashing costs ~0.1 s, so a success is remembered per (size, mtime, inode) in
    `stamp_file` and only redone when a file changes."""
    folder, config = embedder.folder, embedder.config
    if "files_sha256" not in config or "probe_vectors" not in config:
        raise ValueError("the export is not sealed")
    stamps = {}
    for name in SEALED_FILES:
        stat = (folder / name).stat()
        stamps[name] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    try:
        if json.loads(stamp_file.read_text()) == stamps:
            return
    except (OSError, ValueError):
        pass
    for name, expected in config["files_sha256"].items():
        if file_sha256(folder / name) != expected:
            raise ValueError(f"{name} is not the file that was exported (sha256 differs)")
    probes = embedder.encode(PROBES)
    if not np.isfinite(probes).all() or (probes * np.asarray(config["probe_vectors"])).sum(axis=1).min() < PROBE_MATCH:
        raise ValueError("it no longer embeds the probe sentences as it did when exported")
    try:
        tmp = stamp_file.with_name(f".{stamp_file.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stamps))
        os.replace(tmp, stamp_file)
    except OSError:
        pass  # only a cache: the next load verifies again
