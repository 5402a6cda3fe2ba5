"""Weight-only int8 quantization of kb's ONNX model: the CLI's export (MatMuls, kb.onnx_model) and the smaller
copy the docs site's search runs in the browser (MatMuls and the word-embedding table).

Default dynamic quantization is not used: cosine ~0.965 to the float model, and it changes rankings; these keep
cosine >= 0.999, checked on the probe sentences wherever they are used.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

QUANT_BLOCK = 16


def quantize_matmuls(model):
    """kb's weight-only int8 (MatMulNBits, bits 8, blocks of QUANT_BLOCK) of an onnx ModelProto; None when
    onnxruntime's quantizer cannot be imported."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:  # the module calls logging.basicConfig(level=INFO) on import: undo that, and keep its own logger quiet
        from onnxruntime.quantization.matmul_nbits_quantizer import (
            DefaultWeightOnlyQuantConfig,
            MatMulNBitsQuantizer,
        )
    except ImportError:
        return None
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
    config = DefaultWeightOnlyQuantConfig(block_size=QUANT_BLOCK, is_symmetric=True, bits=8, accuracy_level=4)
    quantizer = MatMulNBitsQuantizer(
        model, bits=8, block_size=QUANT_BLOCK, is_symmetric=True, accuracy_level=4, algo_config=config
    )
    quantizer.process()
    return quantizer.model.model


def web_model(export_folder: Path) -> bytes:
    """The CLI's export as one file, with weight-only int8 everywhere: MatMuls as the CLI's own (MatMulNBits; done
    here only if the CLI kept float32), and the word-embedding table per row (Gather of int8 codes x row scale).
    kb.site.search_bundle checks it against the export."""
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        # onnx refuses external weights with several hard links (as KB_HOME copies made with `cp -l` have)
        for name in ("model.onnx", "model.onnx.data"):
            if (export_folder / name).is_file():
                shutil.copyfile(export_folder / name, Path(tmp) / name)
        model = onnx.load(str(Path(tmp) / "model.onnx"))  # with its external weights
    if json.loads((export_folder / "kb-model.json").read_text()).get("weights") != "int8":
        model = quantize_matmuls(model)
        if model is None:
            raise ImportError("onnxruntime's quantizer cannot be imported (pip install onnx-ir)")
    int8_word_embeddings(model.graph)
    return model.SerializeToString()


def int8_word_embeddings(graph) -> None:
    from onnx import TensorProto, helper, numpy_helper

    initializers = {i.name: i for i in graph.initializer}
    for node in list(graph.node):
        if node.op_type != "Gather" or node.input[0] not in initializers:
            continue
        table = numpy_helper.to_array(initializers[node.input[0]]).astype(np.float32)
        if table.ndim != 2 or table.shape[0] < 1000:  # only the vocabulary table is worth it
            continue
        scale = np.maximum(np.abs(table).max(axis=1, keepdims=True) / 127.0, 1e-12).astype(np.float32)
        codes = np.round(table / scale).astype(np.int8)
        name, ids, out = node.input[0], node.input[1], node.output[0]
        graph.initializer.remove(initializers[name])
        graph.initializer.extend(
            [numpy_helper.from_array(codes, f"{name}.int8"), numpy_helper.from_array(scale, f"{name}.scale")]
        )
        at = list(graph.node).index(node)
        graph.node.remove(node)
        for i, new in enumerate(
            [
                helper.make_node("Gather", [f"{name}.int8", ids], [f"{out}.int8"], name=f"{node.name}.int8"),
                helper.make_node(
                    "Cast", [f"{out}.int8"], [f"{out}.codes"], to=TensorProto.FLOAT, name=f"{node.name}.cast"
                ),
                helper.make_node("Gather", [f"{name}.scale", ids], [f"{out}.scale"], name=f"{node.name}.scale"),
                helper.make_node("Mul", [f"{out}.codes", f"{out}.scale"], [out], name=f"{node.name}.mul"),
            ]
        ):
            graph.node.insert(at + i, new)
