"""Memory per photo: peak RSS growth of `linli.core.photos.photo_process` for hostile images against a normal
phone photo, each measured in a fresh Python process (Django set up, the file already read into memory, the
peak reset through /proc/self/clear_refs just before the call).

Inputs (made here, deterministic):
- `phone_jpeg_12mp`: a 4000×3000 JPEG with texture, as a phone takes it — the baseline;
- `phone_jpeg_48mp`: an 8000×6000 JPEG (a 48-megapixel phone mode);
- `screenshot_png`: a 1290×2796 RGBA PNG (a phone screenshot);
- `hostile_png_rgba16`: the 309 KB 16-bit RGBA PNG of 6,300 × 6,300 px of issue 13 (it grew the server by
  466 MB); `hostile_png_gray16`, `hostile_png_rgb16`: the same canvas in 16-bit grey and RGB.

Keys per input: `file_kb`, `outcome` ("accepted WxH" or "refused: <reason>"), `peak_rss_growth_mb`
(VmHWM after − VmRSS before), `rss_kept_mb` (VmRSS after − before), `cpu_ms`. `ratio_worst_to_phone`: the
largest peak growth of any input ÷ the phone JPEG's; `worst`: which input that is.

Usage: `.venv/bin/python bench/run.py photo_memory` (about 30 s, no services needed).
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:  # bench/common.py
    sys.path.insert(0, str(BENCH_DIR))

BASELINE = "phone_jpeg_12mp"
HOSTILE_SIDE = 6300


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def hostile_png(side: int, color_type: int, bit_depth: int = 16) -> bytes:
    """A PNG of side × side pixels of one colour: a few hundred KB on the wire, hundreds of MB decoded."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = b"\x00" + bytes(side * channels * bit_depth // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def textured(size: tuple[int, int], fmt: str, mode: str = "RGB") -> bytes:
    from PIL import Image

    rng = random.Random(13)
    w, h = max(1, size[0] // 16), max(1, size[1] // 16)
    small = Image.new(mode, (w, h))
    bands = len(mode)
    small.putdata([tuple(rng.randrange(256) for _ in range(bands)) for _ in range(w * h)])
    out = io.BytesIO()
    small.resize(size, Image.Resampling.BILINEAR).save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def inputs(tmp: Path) -> dict[str, Path]:
    made = {
        BASELINE: lambda: textured((4000, 3000), "JPEG"),
        "phone_jpeg_48mp": lambda: textured((8000, 6000), "JPEG"),
        "screenshot_png": lambda: textured((1290, 2796), "PNG", "RGBA"),
        "hostile_png_rgba16": lambda: hostile_png(HOSTILE_SIDE, 6),
        "hostile_png_gray16": lambda: hostile_png(HOSTILE_SIDE, 0),
        "hostile_png_rgb16": lambda: hostile_png(HOSTILE_SIDE, 2),
    }
    paths = {}
    for name, make in made.items():
        paths[name] = tmp / f"{name}.img"
        paths[name].write_bytes(make())
    return paths


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def measure_main(path: str) -> None:
    """In a fresh process: Django set up, the photo read, the peak reset; then one photo_process call."""
    import django

    django.setup()
    from linli.core.errors import Problem
    from linli.core.photos import photo_process

    data = Path(path).read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    rss_before = _status_kb("VmRSS")
    cpu0 = time.process_time()
    try:
        result = photo_process(data)
        outcome = f"accepted {result.width}x{result.height}"
    except Problem as problem:
        outcome = f"refused: {problem.extra.get('reason', problem.code)}"
    cpu_ms = (time.process_time() - cpu0) * 1000
    peak, rss_after = _status_kb("VmHWM"), _status_kb("VmRSS")
    print(
        json.dumps(
            {
                "outcome": outcome,
                "peak_rss_growth_mb": round((peak - rss_before) / 1024, 1),
                "rss_kept_mb": round((rss_after - rss_before) / 1024, 1),
                "cpu_ms": round(cpu_ms, 1),
            }
        )
    )


def _measure(path: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="linli-bench-photo-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "linli.settings",
            "LINLI_VAR_DIR": tmp,
            "PYTHONPATH": str(ROOT / "src"),
        }
        env.pop("LINLI_DATABASE_URL", None)
        env.pop("LINLI_REDIS_URL", None)
        results = {}
        for name, path in inputs(Path(tmp)).items():
            results[name] = {"file_kb": round(path.stat().st_size / 1024, 1), **_measure(path, env)}
    base = results[BASELINE].get("peak_rss_growth_mb") or 0.0
    measured = {k: v for k, v in results.items() if "peak_rss_growth_mb" in v}
    worst = max(measured, key=lambda k: measured[k]["peak_rss_growth_mb"]) if measured else None
    return {
        "bench": "photo_memory",
        "load_average_before": os.getloadavg()[0],
        "inputs": results,
        "worst": worst,
        "ratio_worst_to_phone": round(measured[worst]["peak_rss_growth_mb"] / base, 2) if worst and base else None,
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure_main(sys.argv[2])
    else:
        print(json.dumps(run(), ensure_ascii=False, indent=2))
