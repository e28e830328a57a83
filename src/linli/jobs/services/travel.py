"""Travel time from a resident's home to a job, computed in process: walking and cycling over the street's road
network (imported GeoJSON LineStrings, `services.roads`), Dijkstra's shortest paths from the home over the graph;
where the street has no roads, or a point is far from any road, the straight line times core's detour factor, and
the reason says so. Transit has no timetable: a walk to the stop and a wait, then a configured average speed.

The graph of a street is built once per process and kept until its roads change (`graph_for`)."""

from __future__ import annotations

import heapq
import math
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max

from linli.core.geo import DETOUR_FACTOR, WALK_SPEED_M_PER_MIN, haversine_m
from linli.jobs.models import Road, TravelMode

BIKE_SPEED_M_PER_MIN = 200  # 12 km/h, a shared bike in traffic
TRANSIT_ACCESS_MINUTES = 10  # walk to the stop and wait, without a timetable
SNAP_LIMIT_M = 400  # a point further than this from every road is routed in a straight line
CELL_DEG = 0.002  # the node index's cell, ~200 m


def speed_m_per_min(mode: str) -> float:
    if mode == TravelMode.BIKE:
        return BIKE_SPEED_M_PER_MIN
    if mode == TravelMode.TRANSIT:
        return float(getattr(settings, "LINLI_JOBS_TRANSIT_M_PER_MIN", 300))  # 18 km/h with stops
    return WALK_SPEED_M_PER_MIN


def minutes_for(meters: float, mode: str) -> int:
    if mode == TravelMode.TRANSIT:
        return TRANSIT_ACCESS_MINUTES + max(1, math.ceil(meters / speed_m_per_min(mode) - 1e-9))
    return max(1, math.ceil(meters / speed_m_per_min(mode) - 1e-9))


@dataclass
class RoadGraph:
    """Nodes are the roads' vertices (shared where roads meet at the same coordinate), edges their segments."""

    lat: list[float] = field(default_factory=list)
    lng: list[float] = field(default_factory=list)
    adj: list[list[tuple[int, float]]] = field(default_factory=list)
    cells: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    snapped: dict[tuple[float, float], tuple[int, float] | None] = field(default_factory=dict)

    def node(self, lng: float, lat: float, index: dict[tuple[float, float], int]) -> int:
        key = (round(lng, 7), round(lat, 7))
        found = index.get(key)
        if found is None:
            found = index[key] = len(self.lat)
            self.lat.append(lat)
            self.lng.append(lng)
            self.adj.append([])
            self.cells.setdefault(_cell(lat, lng), []).append(found)
        return found

    def add_line(self, coords: list[list[float]], index: dict[tuple[float, float], int]) -> None:
        prev: int | None = None
        for lng, lat in ((float(c[0]), float(c[1])) for c in coords):
            n = self.node(lng, lat, index)
            if prev is not None and prev != n:
                d = haversine_m(self.lat[prev], self.lng[prev], lat, lng)
                self.adj[prev].append((n, d))
                self.adj[n].append((prev, d))
            prev = n

    def nearest(self, lat: float, lng: float) -> tuple[int, float] | None:
        """The nearest node within SNAP_LIMIT_M and its distance (memoized per point: jobs do not move)."""
        key = (lat, lng)
        if key in self.snapped:
            return self.snapped[key]
        ci, cj = _cell(lat, lng)
        best: tuple[int, float] | None = None
        for di in (-2, -1, 0, 1, 2):
            for dj in (-2, -1, 0, 1, 2):
                for n in self.cells.get((ci + di, cj + dj), ()):
                    d = haversine_m(lat, lng, self.lat[n], self.lng[n])
                    if d <= SNAP_LIMIT_M and (best is None or d < best[1]):
                        best = (n, d)
        self.snapped[key] = best
        return best

    def distances_from(self, source: int, cutoff_m: float = math.inf) -> dict[int, float]:
        """Dijkstra: metres over the roads from `source` to every node within `cutoff_m`."""
        dist = {source: 0.0}
        heap = [(0.0, source)]
        adj = self.adj
        while heap:
            d, n = heapq.heappop(heap)
            if d > dist.get(n, math.inf):
                continue
            for m, w in adj[n]:
                nd = d + w
                if nd <= cutoff_m and nd < dist.get(m, math.inf):
                    dist[m] = nd
                    heapq.heappush(heap, (nd, m))
        return dist


def _cell(lat: float, lng: float) -> tuple[int, int]:
    return (int(math.floor(lat / CELL_DEG)), int(math.floor(lng / CELL_DEG)))


_graphs: dict[int, tuple[tuple[int, int], RoadGraph | None]] = {}
_lock = threading.Lock()


def graph_for(street_id: int) -> RoadGraph | None:
    """The street's road graph (None without roads), rebuilt when its roads change."""
    mark = Road.objects.filter(street_id=street_id).aggregate(n=Count("id"), last=Max("id"))
    version = (int(mark["n"] or 0), int(mark["last"] or 0))
    cached = _graphs.get(street_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        graph: RoadGraph | None = None
        if version[0]:
            graph = RoadGraph()
            index: dict[tuple[float, float], int] = {}
            for coords in Road.objects.filter(street_id=street_id).values_list("coordinates", flat=True):
                graph.add_line(coords, index)
        _graphs[street_id] = (version, graph)
    return graph


@dataclass(frozen=True)
class Trip:
    meters: float
    minutes: int
    mode: str
    by_roads: bool  # False: straight line × detour factor (no roads, or a point far from every road)


class Router:
    """Trips from one origin (a seeker's home) to many destinations: one Dijkstra over the roads."""

    def __init__(self, graph: RoadGraph | None, lat: float, lng: float, mode: str, max_minutes: int) -> None:
        self.graph, self.lat, self.lng, self.mode = graph, lat, lng, mode
        reach = max(0, max_minutes - (TRANSIT_ACCESS_MINUTES if mode == TravelMode.TRANSIT else 0))
        self.cutoff_m = reach * speed_m_per_min(mode) + 1
        self.origin = graph.nearest(lat, lng) if graph is not None and mode != TravelMode.TRANSIT else None
        self.dist: dict[int, float] = {}
        if self.origin is not None and graph is not None:
            self.dist = graph.distances_from(self.origin[0], self.cutoff_m)

    def straight_m(self, lat: float, lng: float) -> float:
        return haversine_m(self.lat, self.lng, lat, lng)

    def trip(self, lat: float, lng: float) -> Trip:
        if self.origin is not None and self.graph is not None:
            snap = self.graph.nearest(lat, lng)
            if snap is not None:
                d = self.dist.get(snap[0])
                meters = math.inf if d is None else self.origin[1] + d + snap[1]
                return Trip(meters, minutes_for(meters, self.mode) if d is not None else 10**6, self.mode, True)
        meters = self.straight_m(lat, lng) * DETOUR_FACTOR
        return Trip(meters, minutes_for(meters, self.mode), self.mode, False)


def trip(street_id: int, *, origin: tuple[float, float], destination: tuple[float, float], mode: str) -> Trip:
    """One trip (the job page's "from my home")."""
    router = Router(graph_for(street_id), origin[0], origin[1], mode, max_minutes=24 * 60)
    return router.trip(*destination)
