"""An inverted file (IVF) over the chunk vectors, for libraries too big to compare every vector with the query."""

from __future__ import annotations

from dataclasses import dataclass

IVF_NPROBE = 32


@dataclass
class Ivf:
    """An inverted file over the chunk vectors: cluster c holds rows order[offsets[c]:offsets[c + 1]], and
    `codes` holds int8 copies of their vectors in that same (cluster) order, so a probed cluster is one read.
    Scores from the codes only pick candidate pages; those are then scored exactly from the float32 vectors."""

    centroids: object  # float32 (n_clusters, dim)
    order: object  # int32 (n_chunks,): chunk row of each code
    offsets: object  # int64 (n_clusters + 1,)
    codes: object  # int8 (n_chunks, dim), cluster order; vector ~= codes * scales
    scales: object  # float32 (dim,)
    nprobe: int = IVF_NPROBE

    def scan(self, vector):
        """(rows, approximate cosines) of the chunks in the nprobe clusters closest to `vector`."""
        import numpy as np

        nprobe = min(self.nprobe, len(self.centroids))
        clusters = np.sort(np.argpartition(-(self.centroids @ vector), nprobe - 1)[:nprobe])
        weights = vector * self.scales
        rows, scores = [], []
        for c in clusters.tolist():
            lo, hi = int(self.offsets[c]), int(self.offsets[c + 1])
            if hi > lo:
                rows.append(self.order[lo:hi])
                scores.append(self.codes[lo:hi].astype(np.float32) @ weights)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(rows), np.concatenate(scores)


def build_ivf(vectors, n_clusters: int | None = None, seed: int = 1234) -> Ivf:
    """Spherical k-means (faiss) on a sample, then every vector assigned to its nearest centroid."""
    import faiss
    import numpy as np

    n, dim = vectors.shape
    n_clusters = n_clusters or max(1, int(2 * n**0.5))
    sample = vectors
    if n > 40 * n_clusters:  # faiss wants >= 39 points per centroid
        sample = vectors[np.sort(np.random.default_rng(seed).choice(n, 40 * n_clusters, replace=False))]
    kmeans = faiss.Kmeans(
        dim, n_clusters, niter=10, spherical=True, seed=seed, verbose=False, max_points_per_centroid=40
    )
    kmeans.train(np.ascontiguousarray(sample, dtype=np.float32))
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(kmeans.centroids)
    assign = np.empty(n, dtype=np.int64)
    for start in range(0, n, 65536):
        _, nearest = quantizer.search(np.ascontiguousarray(vectors[start : start + 65536], dtype=np.float32), 1)
        assign[start : start + 65536] = nearest[:, 0]
    order = np.argsort(assign, kind="stable").astype(np.int32)
    offsets = np.zeros(n_clusters + 1, dtype=np.int64)
    np.cumsum(np.bincount(assign, minlength=n_clusters), out=offsets[1:])
    scales = np.maximum(np.abs(vectors).max(axis=0), 1e-6).astype(np.float32) / 127
    codes = np.empty((n, dim), dtype=np.int8)
    for start in range(0, n, 65536):
        rows = order[start : start + 65536]
        codes[start : start + len(rows)] = np.round(vectors[rows] / scales)
    return Ivf(np.ascontiguousarray(kmeans.centroids, dtype=np.float32), order, offsets, codes, scales)
