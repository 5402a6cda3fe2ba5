"""Reducing pasted tracebacks and logs to what the model should read."""

from __future__ import annotations

import pytest

from kb.errors import UsageError
from kb.query import MAX_INPUT_BYTES, decode, prepare

OOM_TRACEBACK = """Traceback (most recent call last):
  File "/home/me/train.py", line 88, in <module>
    main()
  File "/home/me/train.py", line 71, in main
    logits = model(images)
  File "/usr/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1751, in _wrapped_call_impl
    return self._call_impl(*args, **kwargs)
  File "/usr/lib/python3.11/site-packages/torch/nn/modules/conv.py", line 554, in forward
    return self._conv_forward(input, self.weight, self.bias)
torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 11.76 GiB of which 1.12 GiB is free.
"""


def test_short_queries_pass_through():
    assert prepare("  val accuracy   plateau ") == "val accuracy plateau"


def test_blank_query_is_a_usage_error():
    for blank in ("", "   ", "\n\n\t", "\r\r"):
        with pytest.raises(UsageError, match="empty query"):
            prepare(blank)


def test_traceback_puts_the_final_exception_line_first():
    query = prepare(OOM_TRACEBACK)
    assert query.startswith("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.")
    assert "return self._conv_forward" in query  # the line that was running, as context
    assert 'File "' not in query


def test_error_line_survives_a_huge_log_with_progress_bars():
    bars = "".join(
        f"\rEpoch 3:  {i}%|###       | {i}/100 [00:0{i % 10}<00:10, 9.1it/s, loss={2 - i / 100:.3f}]"
        for i in range(100)
    )
    frames = "".join(f'  File "/lib/mod{i}.py", line {i}, in f{i}\n    x = f{i + 1}(x)\n' for i in range(300))
    log = (
        "\x1b[32mStarting training\x1b[0m\n"
        + "UserWarning: something harmless\n" * 50
        + bars
        + "\n"
        + "Traceback (most recent call last):\n"
        + frames
        + "RuntimeError: CUDA error: device-side assert triggered\n"
    )
    query = prepare(log)
    assert query.startswith("RuntimeError: CUDA error: device-side assert triggered")
    assert len(query) <= 900 and "\r" not in query and "\x1b" not in query


def test_nan_line_in_a_log_without_traceback_is_kept():
    log = "\n".join(
        [f"step {i} loss {3 - i * 0.01:.4f}" for i in range(200)] + ["step 200 loss nan", "step 201 loss nan"]
    )
    assert prepare(log).startswith("step 201 loss nan")


def test_a_librarys_info_chatter_is_left_out_of_the_query():
    log = "\n".join(
        [
            "2026-11-30 09:14:03.118452: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.",
            "I1130 09:14:03.118452 140234 gpu_device.cc:1928] Created device /job:localhost with 2 CPUs",
            "INFO:root:building the model",
            "my model is a small CNN on mnist",
            "Traceback (most recent call last):",
            '  File "train.py", line 3, in <module>',
            "ValueError: Arguments `target` and `output` must have the same shape.",
        ]
    )
    query = prepare(log)
    assert query.startswith("ValueError: Arguments") and "small CNN" in query
    assert "oneDNN" not in query and "Created device" not in query and "building the model" not in query


def test_undecodable_bytes_are_replaced_and_size_is_capped():
    assert decode(b"loss is \xff\xfe nan") == "loss is \ufffd\ufffd nan"
    with pytest.raises(UsageError, match="more than 10 MB"):
        decode(b"x" * (MAX_INPUT_BYTES + 1))


def test_the_error_line_fits_in_what_the_model_reads(engine):
    from kb.onnx_model import OnnxEmbedder

    backend = engine.embedder.backend
    assert isinstance(backend, OnnxEmbedder)
    noise = "".join(
        f"[2026-01-01 00:00:{i % 60:02d}] INFO step {i} loss {1 / (i + 1):.4f} lr 3e-4 tokens/s 5120\n"
        for i in range(20000)
    )
    log = noise + OOM_TRACEBACK + noise[:5000]
    query = prepare(log)
    tokens = backend.tokenizer.encode(query)
    error_tokens = backend.tokenizer.encode("torch.OutOfMemoryError: CUDA out of memory.", add_special_tokens=False)
    assert len(tokens.ids) <= 256
    assert tokens.ids[1 : 1 + len(error_tokens.ids)] == error_tokens.ids  # first after [CLS]
