"""What `linli import KIND` and `linli export KIND` can read and write: each domain registers its own kinds from
its `AppConfig.ready()` (core's grids and compounds are here), so the commands in core import no higher domain.

An importer is `f(*, street, collection) -> ImportResult` fed the parsed JSON of a GeoJSON FeatureCollection
(`reads="geojson"`), or `f(*, street, text) -> ImportResult` fed the file's raw text (`reads="text"`: iCalendar,
CSV). An exporter is `f(*, street) -> dict`, written as JSON (the import format, so export → import round-trips), or
`f(*, street) -> str` for a text format (CSV), written as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from linli.core.imports import ImportResult, compounds_export, compounds_import, grids_export, grids_import

Reads = Literal["geojson", "text"]


@dataclass(frozen=True)
class Importer:
    kind: str
    run: Callable[..., ImportResult]
    reads: Reads


_importers: dict[str, Importer] = {}
_exporters: dict[str, Callable[..., dict[str, Any] | str]] = {}


def importer_register(kind: str, run: Callable[..., ImportResult], *, reads: Reads = "geojson") -> None:
    _importers[kind] = Importer(kind, run, reads)


def exporter_register(kind: str, run: Callable[..., dict[str, Any] | str]) -> None:
    _exporters[kind] = run


def importer_get(kind: str) -> Importer | None:
    return _importers.get(kind)


def exporter_get(kind: str) -> Callable[..., dict[str, Any] | str] | None:
    return _exporters.get(kind)


def import_kinds() -> list[str]:
    return sorted(_importers)


def export_kinds() -> list[str]:
    return sorted(_exporters)


importer_register("grids", grids_import)
importer_register("compounds", compounds_import)
exporter_register("grids", grids_export)
exporter_register("compounds", compounds_export)
