"""Packed arrays of an index file: string tables (one UTF-8 blob + offsets) and numpy sections read on demand."""

from __future__ import annotations

import os


class Strings:
    """A list of strings stored as one UTF-8 blob + offsets; an item is decoded only when it is read."""

    def __init__(self, blob, offsets):
        self.blob, self.offsets = blob, offsets

    @classmethod
    def pack(cls, items: list[str]) -> Strings:
        import numpy as np

        encoded = [s.encode("utf-8") for s in items]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-8")

    def tolist(self) -> list[str]:
        text, bounds = self.blob.tobytes(), self.offsets.tolist()
        return [text[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]


class ArrayFile:
    """A numpy section of a big index file, read with pread: only the rows (or bytes) asked for are read.
    Supports what the engine uses: len, [int], [slice], [array of rows], `vectors @ q` in blocks, np.asarray."""

    BLOCK_ROWS = 16384

    def __init__(self, handle, offset: int, shape: tuple[int, ...], dtype: str):
        import numpy as np

        self.handle, self.offset, self.shape, self.dtype = handle, offset, tuple(shape), np.dtype(dtype)
        self.row_bytes = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, first: int, count: int):
        import numpy as np

        data = os.pread(self.handle.fileno(), count * self.row_bytes, self.offset + first * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(count, *self.shape[1:])

    def __getitem__(self, key):
        import numpy as np

        if isinstance(key, slice):
            first, stop, _ = key.indices(len(self))
            return self._read(first, max(stop - first, 0))
        if np.ndim(key) == 0:
            return self._read(int(key), 1)[0]
        rows = np.asarray(key, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        starts = np.flatnonzero(np.r_[True, np.diff(ordered) != 1])  # runs of consecutive rows: one read each
        lengths = np.diff(np.r_[starts, len(ordered)])
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        if len(rows):
            out[order] = np.concatenate(
                [self._read(first, count) for first, count in zip(ordered[starts].tolist(), lengths.tolist())]
            )
        return out

    def __matmul__(self, vector):
        import numpy as np

        return np.concatenate(
            [self._read(i, min(self.BLOCK_ROWS, len(self) - i)) @ vector for i in range(0, len(self), self.BLOCK_ROWS)]
            or [np.zeros(0, np.float32)]
        )

    def __array__(self, dtype=None, copy=None):
        return self[0 : len(self)] if dtype is None else self[0 : len(self)].astype(dtype)

    def tobytes(self) -> bytes:
        return self[0 : len(self)].tobytes()

    def tolist(self) -> list:
        return self[0 : len(self)].tolist()


def line_section(words) -> object:
    """Strings without newlines as one UTF-8 section, one per line (read back line by line by kb.index.read_index)."""
    import numpy as np

    return np.frombuffer("\n".join(words).encode(), np.uint8)
