"""In-process nearest-neighbour search over WGS-84 points: H3 cells find candidates, numpy measures them.

`PointIndex.nearest` gives exactly the answer of `brute_force_nearest` (same ids, same order, distances by the
same haversine): rings of H3 cells are added around the query until `limit` accepted points lie strictly inside
the radius those rings are guaranteed to cover, or until the rings would cover more cells than the index holds,
when one vectorised scan over everything is cheaper.

The guarantee: on a hexagonal grid of edge (= circumradius) e, the centres of cells at grid distance >= k + 1
lie at least 1.5 (k + 1) e from the origin cell's centre (the apothem of the hexagonal ring), so any point outside
`grid_disk(origin, k)` is at least 1.5 (k + 1) e_min - 2 e_max from a query inside the origin cell. H3 cells are
not all the same size: e_min is taken below the smallest edge of the resolution (those next to the 12
pentagons), e_max above the largest (measured at most 1.48x the smallest for resolutions 5-10).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import h3
import numpy as np
from h3.api import basic_int as h3int

from linli.core.geo import EARTH_RADIUS_M, haversine_m

MAX_RINGS = 40
# Past this many cells, one vectorised scan of 20,000 points (~1 ms) is cheaper than more rings.
RING_CELL_BUDGET = 400
_E_MIN_SAFETY = 0.95
_E_MAX_RATIO = 1.6  # largest edge / smallest edge of a resolution, with margin over the measured 1.48


@functools.lru_cache(maxsize=16)
def _edge_bounds_m(res: int) -> tuple[float, float]:
    """Conservative (smallest, largest) cell edge length in metres at resolution `res`."""
    smallest = math.inf
    for pentagon in h3.get_pentagons(res):
        for cell in h3.grid_disk(pentagon, 2):
            for edge in h3.origin_to_directed_edges(cell):
                smallest = min(smallest, h3.edge_length(edge, "m"))
    return smallest * _E_MIN_SAFETY, smallest * _E_MAX_RATIO


def _select(
    order_rows: np.ndarray,
    order_d: np.ndarray,
    ids: np.ndarray,
    lats: np.ndarray,
    lngs: np.ndarray,
    lat: float,
    lng: float,
    limit: int,
    accept: Callable[[int], bool] | None,
    max_distance_m: float | None,
) -> list[tuple[int, float]]:
    """Walk candidates in (approximate distance, id) order, keep accepted ones, finish with exact distances.

    Every point that could belong to the answer must be among the candidates. Distances from numpy may differ
    from `haversine_m` in the last bits, so all accepted candidates up to a hair beyond the limit-th are
    re-measured with `haversine_m` and sorted by (distance, id), as the brute-force scan does.
    """
    kept: list[int] = []
    threshold = math.inf
    for row, d in zip(order_rows.tolist(), order_d.tolist(), strict=True):
        if d > threshold:
            break
        if max_distance_m is not None and d > max_distance_m + 1e-6:
            break
        pid = int(ids[row])
        if accept is not None and not accept(pid):
            continue
        kept.append(row)
        if len(kept) == limit:
            threshold = d + 1e-6 + d * 1e-9
    exact = [(haversine_m(lat, lng, float(lats[r]), float(lngs[r])), int(ids[r])) for r in kept]
    if max_distance_m is not None:
        exact = [(d, pid) for d, pid in exact if d <= max_distance_m]
    exact.sort()
    return [(pid, d) for d, pid in exact[:limit]]


class PointIndex:
    """Nearest points to a location, exact, over an immutable set of (id, lat, lng)."""

    def __init__(self, ids: Sequence[int], lats: Sequence[float], lngs: Sequence[float], res: int = 8):
        if not (len(ids) == len(lats) == len(lngs)):
            raise ValueError("ids, lats and lngs must have the same length")
        self.res = res
        self._ids = np.asarray(ids, dtype=np.int64)
        self._lats = np.asarray(lats, dtype=np.float64)
        self._lngs = np.asarray(lngs, dtype=np.float64)
        self._phi = np.radians(self._lats)
        self._lam = np.radians(self._lngs)
        self._cos_phi = np.cos(self._phi)
        cells: dict[int, list[int]] = {}  # H3 cells as 64-bit ints: no string conversion per ring
        for row, (la, ln) in enumerate(zip(self._lats.tolist(), self._lngs.tolist(), strict=True)):
            cells.setdefault(h3int.latlng_to_cell(la, ln, res), []).append(row)
        self._cells = {cell: np.asarray(rows, dtype=np.int64) for cell, rows in cells.items()}
        self._e_min, self._e_max = _edge_bounds_m(res)

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def covered_radius_m(self, k: int) -> float:
        """Every point within this distance of a query lies in grid_disk(query cell, k)."""
        return max(0.0, 1.5 * (k + 1) * self._e_min - 2.0 * self._e_max)

    def _distances(self, rows: np.ndarray, lat: float, lng: float) -> np.ndarray:
        phi = math.radians(lat)
        a = (
            np.sin((self._phi[rows] - phi) / 2) ** 2
            + math.cos(phi) * self._cos_phi[rows] * np.sin((self._lam[rows] - math.radians(lng)) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))

    def _finish(self, rows, d, lat, lng, limit, accept, max_distance_m):
        order = np.lexsort((self._ids[rows], d))
        return _select(
            rows[order], d[order], self._ids, self._lats, self._lngs, lat, lng, limit, accept, max_distance_m
        )

    def scan(self, lat, lng, *, limit=10, accept=None, max_distance_m=None) -> list[tuple[int, float]]:
        """The same answer as `nearest`, by one vectorised pass over every point."""
        if limit <= 0 or len(self) == 0:
            return []
        rows = np.arange(len(self))
        d = self._distances(rows, lat, lng)
        if max_distance_m is not None:
            inside = d <= max_distance_m + 1e-6
            rows, d = rows[inside], d[inside]
        verdicts: dict[int, bool] = {}
        m = 4 * limit
        while m < rows.shape[0]:
            # The m nearest (ties at the edge included) settle the answer once `limit` of those strictly
            # nearer than the m-th are accepted; otherwise look at twice as many.
            edge = float(np.partition(d, m - 1)[m - 1])
            near = d <= edge + 1e-6 + edge * 1e-9
            c_rows, c_d = rows[near], d[near]
            if accept is None:
                settled = int(np.count_nonzero(c_d < edge - 1e-3)) >= limit
            else:
                count = 0
                for pid, dist in zip(self._ids[c_rows].tolist(), c_d.tolist(), strict=True):
                    if pid not in verdicts:
                        verdicts[pid] = bool(accept(pid))
                    if verdicts[pid] and dist < edge - 1e-3:
                        count += 1
                settled = count >= limit
            if settled:
                rows, d = c_rows, c_d
                break
            m *= 2
        cached = accept
        if accept is not None:

            def cached(pid: int) -> bool:
                if pid not in verdicts:
                    verdicts[pid] = bool(accept(pid))
                return verdicts[pid]

        return self._finish(rows, d, lat, lng, limit, cached, max_distance_m)

    def nearest(
        self,
        lat: float,
        lng: float,
        *,
        limit: int = 10,
        accept: Callable[[int], bool] | None = None,
        max_distance_m: float | None = None,
    ) -> list[tuple[int, float]]:
        """Up to `limit` (id, distance_m) nearest to (lat, lng), accepted and within `max_distance_m`.

        Sorted by distance, then id: the same list `brute_force_nearest` returns.
        """
        if limit <= 0 or len(self) == 0:
            return []
        origin = h3int.latlng_to_cell(lat, lng, self.res)
        cells = self._cells
        ids = self._ids
        seen_rows: list[np.ndarray] = []
        seen_d: list[np.ndarray] = []
        # With a filter, points are judged lazily: only once they lie inside the covered radius do they count.
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        verdicts: dict[int, bool] = {}
        n_accepted_inside = 0
        n_seen = 0
        cells_visited = 0
        total = len(self)
        for k in range(MAX_RINGS + 1):
            ring = [origin] if k == 0 else h3int.grid_ring(origin, k)
            cells_visited += len(ring)
            found = [cells[c] for c in ring if c in cells]
            if found:
                rows = np.concatenate(found) if len(found) > 1 else found[0]
                d = self._distances(rows, lat, lng)
                seen_rows.append(rows)
                seen_d.append(d)
                n_seen += rows.shape[0]
                if accept is not None:
                    pending.append((rows, d))
            covered = self.covered_radius_m(k)
            complete = n_seen == total
            if not complete and max_distance_m is not None and covered > max_distance_m + 1e-3:
                complete = True  # every point within max_distance_m has been seen
            if not complete and seen_d:
                cut = covered - 1e-3
                if accept is None:
                    complete = sum(int(np.count_nonzero(a < cut)) for a in seen_d) >= limit
                else:
                    still: list[tuple[np.ndarray, np.ndarray]] = []
                    for p_rows, p_d in pending:
                        inside = p_d < cut
                        for pid in ids[p_rows[inside]].tolist():
                            verdict = bool(accept(pid))
                            verdicts[pid] = verdict
                            n_accepted_inside += verdict
                        if not inside.all():
                            outside = ~inside
                            still.append((p_rows[outside], p_d[outside]))
                    pending = still
                    complete = n_accepted_inside >= limit
            if complete:
                rows = np.concatenate(seen_rows) if seen_rows else np.empty(0, dtype=np.int64)
                d = np.concatenate(seen_d) if seen_d else np.empty(0)
                judge = accept
                if accept is not None:

                    def judge(pid: int) -> bool:
                        verdict = verdicts.get(pid)
                        return bool(accept(pid)) if verdict is None else verdict

                return self._finish(rows, d, lat, lng, limit, judge, max_distance_m)
            if cells_visited + 6 * (k + 1) > min(len(cells) * 3, RING_CELL_BUDGET) or k == MAX_RINGS:
                break  # the rings cost more than a scan of everything
        return self.scan(lat, lng, limit=limit, accept=accept, max_distance_m=max_distance_m)


def brute_force_nearest(
    points: Sequence[tuple[int, float, float]],
    lat: float,
    lng: float,
    *,
    limit: int,
    accept: Callable[[int], bool] | None = None,
    max_distance_m: float | None = None,
) -> list[tuple[int, float]]:
    """The baseline: haversine to every (id, lat, lng) in plain Python, then sort by (distance, id)."""
    measured = []
    for pid, plat, plng in points:
        if accept is not None and not accept(pid):
            continue
        d = haversine_m(lat, lng, plat, plng)
        if max_distance_m is not None and d > max_distance_m:
            continue
        measured.append((d, pid))
    measured.sort()
    return [(pid, d) for d, pid in measured[: max(limit, 0)]]
