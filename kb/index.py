"""The index file: a loaded `Index` and its on-disk format, which a query reads without parsing a single page.

One file, replaced atomically, holds:

- a small JSON header: format, model, dimension, the section table, checksums, BM25 stopwords, the fatal
  page problems found at build time (re-reported on every query), and the search layout ("flat" or "ivf");
- numpy sections, each 64-byte aligned so they load with `np.frombuffer` (or are read on demand for big files):
  `vectors` float32 (n_chunks, dim), L2-normalized, in chunk order; `chunk_kind` uint8 (index into KINDS);
  `page_first` int64 (n_pages + 1): page i owns chunk rows page_first[i]:page_first[i + 1]; chunk texts
  and labels as UTF-8 blobs + int64 offsets (decoded only for the chunks a query prints); the BM25 weights
  (`bm25_data/indices/indptr` in bm25s' sparse layout, `bm25_vocab` one token per line in column order);
  the page manifest (slug, path, content hash) and every page file seen (path, mtime_ns, size): a query
  compares those stamps with `os.stat` instead of parsing pages, and only a difference triggers a rebuild;
  for big libraries an inverted file (`ivf_*`, see kb.ivf); the exact-match keys (`exact_*`, see kb.exact)
  and the typo vocabulary (`spell_targets/counts/known`, see kb.spelling).

Building and updating an index (which pages changed, locking) is kb.indexing; ranking with it is kb.search.
Exported for other rankers (e.g. the site's JavaScript port): `Index.chunks` (slug, kind, label, text in row
order), `Index.vectors`, `Index.lexical` (kb.lexical); the ranking itself is `kb.search.page_scores`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from .chunks import CHUNKER, KINDS, Chunk
from .exact import ExactIndex
from .ivf import Ivf
from .lexical import LexicalIndex
from .packed import ArrayFile, Strings, line_section
from .pages import Library
from .spelling import Spelling

FORMAT = 6  # 6: the model's sealed identity, the concept directories, and a checksum over the header too
MAGIC = b"KBINDEX\n"
ALIGN = 64
# Files up to this size are read whole and checksummed on every load (66 pages: 2 MB, ~1 ms). Of bigger ones
# only the small sections are read and checksummed (the size check catches truncation); the bulk sections
# (vectors, int8 codes, chunk texts, BM25 postings) are read with pread, only the parts a query needs.
FULL_CHECK_MAX_BYTES = 64 << 20

FileStamp = tuple[str, int, int]  # (path, mtime_ns, size) of a page file


@dataclass
class Index:
    """A loaded index. Chunk rows are grouped by page, pages in manifest order."""

    model: str
    dim: int
    slugs: list[str]
    page_paths: list[str]
    page_hashes: list[str]
    page_first: object  # int64 (n_pages + 1,)
    chunk_kinds: object  # uint8 (n_chunks,), index into KINDS
    chunk_labels: Strings
    chunk_texts: Strings
    vectors: object  # float32 (n_chunks, dim)
    lexical: LexicalIndex
    files: list[FileStamp] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: message" of pages left out at build time
    ivf: Ivf | None = None
    exact: ExactIndex | None = None
    path: Path | None = None
    spelling: Spelling | None = None
    model_id: str = ""  # the sealed identity of the model export that made the vectors (kb.model.Embedder.identity)
    concept_dirs: list[str] = field(default_factory=list)  # what the index is for (shown by `kb cache`)

    def __len__(self) -> int:
        return len(self.slugs)

    @functools.cached_property
    def page_row(self) -> dict[str, int]:
        return {slug: i for i, slug in enumerate(self.slugs)}

    @functools.cached_property
    def page_of_chunk(self):
        import numpy as np

        return np.repeat(np.arange(len(self.slugs), dtype=np.int32), np.diff(self.page_first))

    @property
    def pages(self) -> dict[str, dict]:
        """slug -> {"hash", "path", "first", "count"}."""
        first = self.page_first.tolist()
        return {
            slug: {
                "hash": self.page_hashes[i],
                "path": self.page_paths[i],
                "first": first[i],
                "count": first[i + 1] - first[i],
            }
            for i, slug in enumerate(self.slugs)
        }

    def chunk(self, row: int) -> Chunk:
        return Chunk(
            self.slugs[self.page_of_chunk[row]],
            KINDS[self.chunk_kinds[row]],
            self.chunk_labels[row],
            self.chunk_texts[row],
        )

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk in row order (row i is described by vectors[i])."""
        slugs, kinds = self.page_of_chunk.tolist(), self.chunk_kinds.tolist()
        return [
            Chunk(self.slugs[p], KINDS[k], label, text)
            for p, k, label, text in zip(slugs, kinds, self.chunk_labels.tolist(), self.chunk_texts.tolist())
        ]

    def vectors_of(self, slug: str):
        i = self.page_row[slug]
        return self.vectors[self.page_first[i] : self.page_first[i + 1]]

    def is_fresh_for(self, library: Library, model: str, model_id: str | None = None) -> bool:
        if self.model != model or (model_id is not None and self.model_id != model_id):
            return False
        return dict(zip(self.slugs, self.page_hashes)) == {s: p.content_hash for s, p in library.pages.items()}

    def dense_candidates(self, vector):
        """(rows, cosines) of the chunks a query is compared with: (None, exact cosines of every row), or the
        rows of the probed IVF clusters with approximate cosines."""
        if self.ivf is None:
            return None, self.vectors @ vector
        return self.ivf.scan(vector)


class CorruptIndex(Exception):
    pass


# Bulk sections, not checksummed on load when the file is big (see FULL_CHECK_MAX_BYTES).
BIG_SECTIONS = (
    "vectors",
    "chunk_kind",
    "chunk_label_blob",
    "chunk_label_offsets",
    "chunk_text_blob",
    "chunk_text_offsets",
    "bm25_data",
    "bm25_indices",
    "ivf_order",
    "ivf_codes",
)  # read on demand


def _sections(index: Index) -> dict:
    import numpy as np

    lex = index.lexical
    paths = Strings.pack([p for p, _, _ in index.files])
    sections = {
        "vectors": np.ascontiguousarray(index.vectors, dtype="<f4"),
        "page_first": np.asarray(index.page_first, dtype="<i8"),
        "chunk_kind": np.asarray(index.chunk_kinds, dtype=np.uint8),
        "chunk_label_blob": index.chunk_labels.blob,
        "chunk_label_offsets": index.chunk_labels.offsets,
        "chunk_text_blob": index.chunk_texts.blob,
        "chunk_text_offsets": index.chunk_texts.offsets,
        "page_slug": line_section(index.slugs),
        "page_path": np.frombuffer("\0".join(index.page_paths).encode(), np.uint8),
        "page_hash": np.frombuffer("".join(index.page_hashes).encode("ascii"), np.uint8),
        "file_path_blob": paths.blob,
        "file_path_offsets": paths.offsets,
        "file_mtime": np.array([m for _, m, _ in index.files], dtype="<i8"),
        "file_size": np.array([s for _, _, s in index.files], dtype="<i8"),
        "bm25_vocab": line_section(sorted(lex.vocab, key=lex.vocab.get)),
        "bm25_data": np.asarray(lex.data, dtype="<f4"),
        "bm25_indices": np.asarray(lex.indices, dtype="<i4"),
        "bm25_indptr": np.asarray(lex.indptr, dtype="<i4"),
    }
    if index.exact is not None:
        sections.update(
            exact_equal_hash=np.asarray(index.exact.equal_hash, "<u8"),
            exact_equal_page=np.asarray(index.exact.equal_page, "<i4"),
            exact_contained_hash=np.asarray(index.exact.contained_hash, "<u8"),
            exact_contained_page=np.asarray(index.exact.contained_page, "<i4"),
            exact_key_blob=index.exact.contained_keys.blob,
            exact_key_offsets=index.exact.contained_keys.offsets,
        )
    if index.spelling is not None:
        targets = sorted(index.spelling.targets)
        sections.update(
            spell_targets=line_section(targets),
            spell_counts=np.array([index.spelling.targets[w] for w in targets], dtype="<i4"),
            spell_known=line_section(sorted(index.spelling.known)),
        )
    if index.ivf is not None:
        sections.update(
            ivf_centroids=np.asarray(index.ivf.centroids, "<f4"),
            ivf_order=np.asarray(index.ivf.order, "<i4"),
            ivf_offsets=np.asarray(index.ivf.offsets, "<i8"),
            ivf_codes=np.asarray(index.ivf.codes, np.int8),
            ivf_scales=np.asarray(index.ivf.scales, "<f4"),
        )
    return sections


def sealed_header(header: dict) -> bytes:
    """The header as written: its own sha256 added, so that no byte of the file goes unchecked (the header carries
    the texts that are printed on every query)."""
    body = json.dumps(header, sort_keys=True)
    return json.dumps({**header, "header_sha256": hashlib.sha256(body.encode()).hexdigest()}).encode("utf-8")


def opened_header(data: bytes) -> dict:
    """The header of a file, verified against its own sha256 (ValueError when it was changed)."""
    header = json.loads(data.decode("utf-8"))
    claimed = header.pop("header_sha256", None) if isinstance(header, dict) else None
    if claimed != hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest():
        raise ValueError("header checksum mismatch")
    return header


def write_index(index: Index, path: Path) -> None:
    """Write to a temporary file, fsync, then rename over the old one: readers see the old or the new, never half."""
    table, parts, offset = {}, [], 0
    full, meta = hashlib.sha256(), hashlib.sha256()
    for name, array in _sections(index).items():
        data = array.tobytes()
        pad = b"\0" * (-offset % ALIGN)
        offset += len(pad)
        table[name] = [offset, len(data), array.dtype.str, list(array.shape)]
        for piece in (pad, data):
            parts.append(piece)
            full.update(piece)
            if name not in BIG_SECTIONS:
                meta.update(piece)
        offset += len(data)
    header = sealed_header(
        {
            "format": FORMAT,
            "chunker": CHUNKER,
            "model": index.model,
            "model_id": index.model_id,
            "concept_dirs": index.concept_dirs,
            "dim": index.dim,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "pages": len(index.slugs),
            "chunks": len(index.vectors),
            "search": "flat" if index.ivf is None else "ivf",
            "ivf_nprobe": index.ivf.nprobe if index.ivf is not None else None,
            "stopwords": sorted(index.lexical.stopwords),
            "problems": index.problems,
            "sections": table,
            "payload_bytes": offset,
            "payload_sha256": full.hexdigest(),
            "meta_sha256": meta.hexdigest(),
        }
    )
    start = len(MAGIC) + 8 + len(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(header)) + header + b"\0" * (-start % ALIGN))
            for part in parts:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_index(path: Path) -> Index:
    """Load and verify an index file; CorruptIndex when it is truncated, tampered with or from another version.

    Files up to FULL_CHECK_MAX_BYTES are read whole and fully checksummed. Bigger ones are never read whole (nor
    memory-mapped: the kernel would map whole page-cache folios around every random read and count them in RSS):
    their small sections are read and checksummed, their bulk sections (BIG_SECTIONS) are read on demand.
    """
    import numpy as np

    big = None  # the open file of a big index
    try:
        handle = path.open("rb")
        size = os.fstat(handle.fileno()).st_size
        if size > FULL_CHECK_MAX_BYTES:
            big = handle
            head = os.pread(handle.fileno(), 1 << 20, 0)
        else:
            with handle:
                head = memoryview(handle.read())  # sections are views into it, 64-byte aligned as in the file
    except (OSError, ValueError) as exc:
        raise CorruptIndex(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        if head[: len(MAGIC)] != MAGIC:
            raise ValueError("not a kb index file")
        (header_len,) = struct.unpack_from("<Q", head, len(MAGIC))
        start = len(MAGIC) + 8 + header_len
        if big is not None and start > len(head):
            head = os.pread(big.fileno(), start, 0)
        header = opened_header(bytes(head[len(MAGIC) + 8 : start]))
        if header.get("format") != FORMAT or header.get("chunker") != CHUNKER:
            raise ValueError("written by another version of kb")
        start += -start % ALIGN
        if size - start != header["payload_bytes"]:
            raise ValueError("payload size does not match the header (truncated?)")
        sections: dict = {}
        digest, end = hashlib.sha256(), 0
        for name, (offset, nbytes, dtype, shape) in header["sections"].items():
            if big is not None and name in BIG_SECTIONS:
                sections[name] = ArrayFile(big, start + offset, tuple(shape), dtype)
            else:
                digest.update(b"\0" * (offset - end))  # the alignment padding before it
                data = (
                    head[start + offset : start + offset + nbytes]
                    if big is None
                    else os.pread(big.fileno(), nbytes, start + offset)
                )
                if len(data) != nbytes:
                    raise ValueError(f"section {name} is truncated")
                digest.update(data)
                sections[name] = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape)
            end = offset + nbytes
        if big is None:
            if digest.hexdigest() != header["payload_sha256"]:
                raise ValueError("checksum mismatch (truncated or corrupt)")
        elif digest.hexdigest() != header["meta_sha256"]:
            raise ValueError("checksum mismatch (truncated or corrupt)")

        def text(name) -> str:
            return sections[name].tobytes().decode("utf-8")

        def lines(name) -> list[str]:  # a _line_section; empty when it holds no line
            return text(name).split("\n") if header["sections"][name][1] else []

        slugs = lines("page_slug")
        vocab = lines("bm25_vocab")
        lexical = LexicalIndex(
            slugs,
            {t: i for i, t in enumerate(vocab)},
            frozenset(header["stopwords"]),
            sections["bm25_data"],
            sections["bm25_indices"],
            sections["bm25_indptr"],
        )
        hashes = text("page_hash")
        files = zip(
            Strings(sections["file_path_blob"], sections["file_path_offsets"]).tolist(),
            sections["file_mtime"].tolist(),
            sections["file_size"].tolist(),
        )
        ivf = None
        if header["search"] == "ivf":
            ivf = Ivf(
                sections["ivf_centroids"],
                sections["ivf_order"],
                sections["ivf_offsets"],
                sections["ivf_codes"],
                sections["ivf_scales"],
                header["ivf_nprobe"],
            )
        exact = None
        if "exact_equal_hash" in sections:
            exact = ExactIndex(
                sections["exact_equal_hash"],
                sections["exact_equal_page"],
                sections["exact_contained_hash"],
                sections["exact_contained_page"],
                Strings(sections["exact_key_blob"], sections["exact_key_offsets"]),
            )
        spelling = None
        if "spell_targets" in sections:
            spelling = Spelling(
                dict(zip(lines("spell_targets"), sections["spell_counts"].tolist())), frozenset(lines("spell_known"))
            )
        index = Index(
            header["model"],
            header["dim"],
            slugs,
            text("page_path").split("\0") if slugs else [],
            [hashes[i : i + 64] for i in range(0, len(hashes), 64)],
            sections["page_first"],
            sections["chunk_kind"],
            Strings(sections["chunk_label_blob"], sections["chunk_label_offsets"]),
            Strings(sections["chunk_text_blob"], sections["chunk_text_offsets"]),
            sections["vectors"],
            lexical,
            list(files),
            list(header["problems"]),
            ivf,
            exact,
            path,
            spelling,
            header["model_id"],
            list(header["concept_dirs"]),
        )
        if index.vectors.shape != (header["chunks"], header["dim"]) or int(index.page_first[-1]) != header["chunks"]:
            raise ValueError("vector count does not match the manifest")
    except (ValueError, KeyError, TypeError, IndexError, struct.error, UnicodeDecodeError, OSError) as exc:
        if big is not None:
            big.close()
        raise CorruptIndex(f"{path}: {exc}") from None
    return index
