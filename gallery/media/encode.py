"""Encoders: RGB frames in, GIF / MP4 / PNG bytes out (deterministic; no timestamps or ids)."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence

import imageio_ffmpeg
import numpy as np
from matplotlib import colors as mcolors
from PIL import Image

GIF_CAP = 2_000_000
_LITTLE = np.little_endian
GIF_MIN_WIDTH = 640
TRANSPARENT = 255  # palette index kept free: "unchanged since the previous frame"


def png_bytes(frame: np.ndarray) -> bytes:
    """PNG of an RGB frame; Pillow writes no time or software chunks."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def thumbnail(frame: np.ndarray, width: int = 480) -> bytes:
    """PNG at most `width` pixels wide, aspect kept."""
    im = Image.fromarray(np.ascontiguousarray(frame))
    if im.width > width:
        height = max(1, round(im.height * width / im.width))
        im = im.resize((width, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def durations_ms(count: int, fps: float, hold: float) -> list[int]:
    """GIF frame durations in ms (multiples of 10, GIF's unit); the last frame also holds."""
    step = max(10, int(round(100.0 / fps)) * 10)
    out = [step] * count
    if count:
        out[-1] = step + int(round(hold * 100)) * 10
    return out


class Palette:
    """One shared GIF palette: the background's colours plus exact accent colours."""

    def __init__(self, background: np.ndarray, accents: Sequence[str], colors: int = 255):
        extra = []
        for c in list(accents) + ["#000000", "#ffffff"]:
            rgb = np.array(mcolors.to_rgb(c))
            extra += [rgb, 0.5 * rgb + 0.5, 0.25 * rgb + 0.75]  # anti-aliased edges on light grey
        extra = np.unique(np.round(np.array(extra) * 255).astype(np.uint8), axis=0)
        colors = int(min(colors, 255))
        n_bg = max(2, colors - len(extra))
        bg = Image.fromarray(np.ascontiguousarray(background)).quantize(
            n_bg, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        bg_pal = np.array(bg.getpalette()[: 3 * n_bg], dtype=np.uint8).reshape(-1, 3)
        pal = np.concatenate([bg_pal, extra])[:colors]
        self.rgb = pal  # (n, 3); index TRANSPARENT is never used by a colour
        # 15-bit colour -> nearest palette index lookup table
        levels = (np.arange(32, dtype=np.float32) * 255 / 31)[:, None]
        r, g, b = np.meshgrid(levels[:, 0], levels[:, 0], levels[:, 0], indexing="ij")
        cube = np.stack([r, g, b], axis=-1).reshape(-1, 3)
        p = pal.astype(np.float32)
        d = (cube**2).sum(1)[:, None] - 2 * cube @ p.T + (p**2).sum(1)[None, :]
        self.lut = np.argmin(d, axis=1).astype(np.uint8)
        self.bg_index = self.exact(background)

    def exact(self, rgb: np.ndarray) -> np.ndarray:
        """Nearest palette index of every pixel (slow path, via Pillow)."""
        pim = Image.new("P", (1, 1))
        pim.putpalette(self.flat(fill=tuple(int(v) for v in self.rgb[0])))
        im = Image.fromarray(np.ascontiguousarray(rgb)).quantize(
            palette=pim, dither=Image.Dither.NONE
        )
        idx = np.asarray(im).copy()
        idx[idx >= len(self.rgb)] = 0  # unused slots repeat colour 0
        return idx

    def fast(self, rgb: np.ndarray) -> np.ndarray:
        """Nearest palette index via the 15-bit lookup table."""
        q = (rgb >> 3).astype(np.uint16)
        return self.lut[(q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]]

    def flat(self, fill: tuple[int, int, int] = (255, 0, 255)) -> list[int]:
        """768-entry palette list for Pillow; unused slots (and the transparent one) get `fill`."""
        full = np.empty((256, 3), dtype=np.uint8)
        full[:] = fill
        full[: len(self.rgb)] = self.rgb
        return full.reshape(-1).tolist()


class GifWriter:
    """Collects frames as palette indices (one palette for all) and writes a looping GIF."""

    def __init__(self, background: np.ndarray, accents: Sequence[str], fps: float, hold: float):
        self.background = np.ascontiguousarray(background[..., :3])
        self.accents = list(accents)
        self.palette = Palette(self.background, accents)
        self.bg_rgb = _pack(background)
        self.fps, self.hold = fps, hold
        self.frames: list[np.ndarray] = []

    def add(self, rgb: np.ndarray) -> None:
        """Quantize an RGB(A) frame with the shared palette (only pixels off the background)."""
        idx = self.palette.bg_index.copy()
        changed = _pack(rgb) != self.bg_rgb
        idx[changed] = self.palette.fast(rgb[changed][:, :3])
        self.frames.append(idx)

    def encode(self, cap: int | None = GIF_CAP, min_width: int = GIF_MIN_WIDTH):
        """(GIF bytes, notes); lowers colours, then frame rate, then size until under `cap`."""
        notes: list[str] = []
        frames, palette, fps = self.frames, self.palette, self.fps
        data = _write_gif(frames, palette, durations_ms(len(frames), fps, self.hold))
        if cap is None or len(data) <= cap:
            return data, notes
        start = len(data)
        for colors in (128, 64, 32):
            palette2 = Palette(self.background, self.accents, colors)
            remap = palette2.exact(palette.rgb[None, :, :])[0]
            remap = np.concatenate([remap, np.full(256 - len(remap), TRANSPARENT, np.uint8)])
            frames2 = [remap[f] for f in self.frames]
            data = _write_gif(frames2, palette2, durations_ms(len(frames2), fps, self.hold))
            frames, palette = frames2, palette2
            if len(data) <= cap:
                notes.append(f"GIF reduced to {colors} colours to stay under {_mb(cap)}")
                return data, notes
        notes.append(f"GIF reduced to {colors} colours")
        while len(frames) > 2 and len(data) > cap and fps > 4:
            keep = list(range(0, len(frames) - 1, 2)) + [len(frames) - 1]
            frames, fps = [frames[i] for i in keep], fps / 2
            data = _write_gif(frames, palette, durations_ms(len(frames), fps, self.hold))
            notes.append(f"GIF frame rate lowered to {fps:g} fps")
        width = frames[0].shape[1]
        while len(data) > cap and width * 0.75 >= min_width:
            width = int(width * 0.75)
            frames, palette = _shrink(frames, palette, width, self.accents)
            data = _write_gif(frames, palette, durations_ms(len(frames), fps, self.hold))
            notes.append(f"GIF scaled down to {frames[0].shape[1]}x{frames[0].shape[0]} px")
        if len(data) > cap:
            notes.append(f"GIF is {_mb(len(data))}, still above the {_mb(cap)} cap")
        else:
            notes.append(f"GIF shrunk from {_mb(start)} to {_mb(len(data))} (cap {_mb(cap)})")
        return data, notes


def _mb(n: int) -> str:
    return f"{n / 1e6:.2g} MB"


def _pack(rgb: np.ndarray) -> np.ndarray:
    """One uint32 per pixel (alpha forced opaque), for fast whole-frame comparison."""
    if rgb.shape[-1] == 3:
        rgb = np.concatenate([rgb, np.full(rgb.shape[:-1] + (1,), 255, np.uint8)], axis=-1)
    rgba = np.ascontiguousarray(rgb, dtype=np.uint8)
    return rgba.view(np.uint32)[..., 0] | np.uint32(0xFF000000 if _LITTLE else 0xFF)


def _shrink(frames, palette: Palette, width: int, accents):
    height = max(1, round(frames[0].shape[0] * width / frames[0].shape[1]))
    table = np.zeros((256, 3), np.uint8)
    table[: len(palette.rgb)] = palette.rgb
    small = [
        np.asarray(Image.fromarray(table[f]).resize((width, height), Image.Resampling.BOX))
        for f in frames
    ]
    pal = Palette(small[0], accents, len(palette.rgb))
    return [pal.exact(f) for f in small], pal


def _write_gif(frames: list[np.ndarray], palette: Palette, durations: list[int]) -> bytes:
    """Frame 0 in full, later frames as deltas (unchanged pixels transparent); loops forever."""
    flat = palette.flat()
    images = []
    prev = None
    for f in frames:
        out = f if prev is None else np.where(f == prev, np.uint8(TRANSPARENT), f)
        prev = f
        im = Image.frombytes("P", (out.shape[1], out.shape[0]), np.ascontiguousarray(out).tobytes())
        im.putpalette(flat)
        images.append(im)
    buf = io.BytesIO()
    images[0].save(
        buf, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
        disposal=1, transparency=TRANSPARENT, optimize=False,
    )  # fmt: skip
    return buf.getvalue()


class Mp4Writer:
    """Streams RGB frames to the bundled ffmpeg (H.264, yuv420p, +faststart, bitexact)."""

    def __init__(self, size: tuple[int, int], fps: float, crf: int = 20):
        w, h = size
        self.size = (w - w % 2, h - h % 2)
        self._dir = tempfile.TemporaryDirectory(prefix="gallery-mp4-")
        self.path = os.path.join(self._dir.name, "out.mp4")
        params = ["-preset", "veryfast", "-crf", str(crf), "-movflags", "+faststart",
                  "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
                  "-x264-params", "threads=2"]  # fmt: skip
        self._gen = imageio_ffmpeg.write_frames(
            self.path, self.size, fps=fps, codec="libx264", pix_fmt_in="rgba",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=2, output_params=params,
            ffmpeg_log_level="error",
        )  # fmt: skip
        self._gen.send(None)
        self.count = 0

    def add(self, rgba: np.ndarray) -> None:
        """Send one RGBA frame (cropped to even dimensions)."""
        w, h = self.size
        self._gen.send(np.ascontiguousarray(rgba[:h, :w]))
        self.count += 1

    def finish(self) -> bytes:
        """Close the encoder and return the file's bytes."""
        try:
            self._gen.close()
            with open(self.path, "rb") as fh:
                return fh.read()
        finally:
            self._dir.cleanup()

    def abort(self) -> None:
        """Stop ffmpeg and remove the temporary file."""
        try:
            self._gen.close()
        finally:
            self._dir.cleanup()
