"""Encoders: RGB frames in, GIF / MP4 / PNG bytes out (deterministic; no timestamps or ids)."""

from __future__ import annotations

import contextlib
import io
import os
import queue
import struct
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None

import imageio_ffmpeg
import numpy as np
from matplotlib import colors as mcolors
from PIL import Image

GIF_CAP = 2_000_000
_OPAQUE = np.uint32(0xFF000000 if np.little_endian else 0xFF)  # alpha 255 in a packed pixel
GIF_MIN_WIDTH = 640
TRANSPARENT = 255  # palette index kept free: "unchanged since the previous frame"
QUEUE_FRAMES = 16  # frames waiting for a writer thread, at most


def png_bytes(frame: np.ndarray) -> bytes:
    """PNG of an RGB frame; Pillow writes no time or software chunks."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


#: Rows of a frame compressed together by `PngSequence`.
PNG_BAND = 32


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


class PngSequence:
    """Palette PNGs (8 bits a pixel, no filter) of a sequence of frames of palette indices that
    mostly repeat the previous frame, as an animation's do.

    A PNG's pixels are one zlib stream; here it is made of bands of `PNG_BAND` rows, each
    compressed on its own and ended with a full flush, so that the bands join into one valid
    stream (as pigz does). A band whose rows did not change since the previous frame keeps its
    compressed bytes: an animation frame changes about half of them, so this takes about half
    the time of compressing every frame whole, for ~3 % more bytes.

    zlib level 3 by default: on these frames it takes half the time of level 6 for ~15 % more
    bytes (the cubic's 151 frames: 0.33 s and 12.2 MB against 0.71 s and 10.5 MB).
    """

    def __init__(self, palette: Sequence[int], shape: tuple[int, int], level: int = 3):
        h, w = shape
        self._raw = np.zeros((h, w + 1), np.uint8)  # each row: its filter type (0), its pixels
        self._bands: list[bytes | None] = [None] * -(-h // PNG_BAND)
        self._level = level
        self._head = (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + _png_chunk(b"PLTE", bytes(palette[:768]))
        )
        self._tail = _png_chunk(b"IEND", b"")
        self._end = zlib.compressobj(level, zlib.DEFLATED, -15).flush()  # an empty last block

    def add(self, index: np.ndarray, changed: np.ndarray | None = None) -> bytes:
        """The PNG of a frame of palette indices; `changed`: the flat positions (row * width +
        column) that may differ from the previous frame's (None: any)."""
        h, w = index.shape
        raw = self._raw
        raw[:, 1:] = index
        if changed is None:
            todo = range(len(self._bands))
        else:
            todo = np.unique(changed // (w * PNG_BAND)).tolist()
            todo += [b for b, data in enumerate(self._bands) if data is None]
        for b in todo:
            rows = raw[b * PNG_BAND : (b + 1) * PNG_BAND]
            c = zlib.compressobj(self._level, zlib.DEFLATED, -15)
            self._bands[b] = c.compress(rows) + c.flush(zlib.Z_FULL_FLUSH)
        stream = b"".join(
            [b"\x78\x9c", *self._bands, self._end, struct.pack(">I", zlib.adler32(raw))]
        )
        return self._head + _png_chunk(b"IDAT", stream) + self._tail


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
        self.lut = _nearest(cube, pal.astype(np.float32))
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


def _nearest(colors: np.ndarray, palette: np.ndarray, rows: int = 2048) -> np.ndarray:
    """Index of the nearest palette colour (squared distance, float32) of every colour.

    In blocks of rows, so the distance table stays small (no fresh pages to fault in), and with
    einsum rather than `@`: a BLAS product this size wakes OpenBLAS's threads, which then spin
    ~0.1 s of CPU waiting for more work, time taken from drawing and ffmpeg.
    """
    out = np.empty(len(colors), np.uint8)
    sq_pal = (palette**2).sum(1)[None, :]
    for start in range(0, len(colors), rows):
        block = colors[start : start + rows]
        d = np.einsum("ij,kj->ik", block, palette)
        d *= -2
        d += (block**2).sum(1)[:, None]
        d += sq_pal
        out[start : start + rows] = d.argmin(axis=1)
    return out


class _Worker:
    """One background thread that handles queued items in order; keeps the first error.

    Drawing (matplotlib, holding the GIL) goes on in the caller's thread while the GIF is
    quantised here and frames are written to ffmpeg's pipe (a write releases the GIL). The queue
    is bounded so a slow consumer holds back the producer instead of piling up frames.
    """

    _STOP = object()

    def __init__(self, name: str, handle: Callable[[Any], None], maxsize: int = QUEUE_FRAMES):
        self._handle = handle
        self._queue: queue.Queue = queue.Queue(maxsize)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        """Queue an item (blocks while the queue is full); raises the worker's error, if any."""
        if self.error is not None:
            raise self.error
        self._queue.put(item)

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is self._STOP:
                    return
                if self.error is not None:
                    continue  # failed: drain, so the producer never blocks on a full queue
                try:
                    self._handle(item)
                except BaseException as exc:  # re-raised in the caller's thread
                    self.error = exc
        finally:
            self._handle = None  # no reference cycle with its owner: freed as soon as dropped

    def join(self, *, check: bool = True) -> None:
        """Wait until every queued item is handled (idempotent); `check`: raise the worker's
        error, if any."""
        if self._thread.is_alive():
            self._queue.put(self._STOP)
            self._thread.join()
        if check and self.error is not None:
            raise self.error


class GifWriter:
    """Quantises frames with one shared palette and LZW-codes their changes, in a background
    thread, as they are added; `encode` puts the looping GIF together.

    Frame 0 is stored whole; each later frame stores only the rectangle around the pixels whose
    palette index changed, unchanged pixels in it transparent (the previous frame shows through).

    `pngs`: every frame is also kept as a palette PNG (`self.pngs`), made in the same thread:
    the GIF's palette, every pixel's nearest colour by the lookup table (`Palette.fast`; kept up
    to date where pixels change, like the GIF's indices); `gif=False`: only those (no GIF to
    `encode`).
    """

    def __init__(
        self,
        background: np.ndarray,
        accents: Sequence[str],
        fps: float,
        hold: float,
        *,
        pngs: bool = False,
        gif: bool = True,
    ):
        self.background = np.ascontiguousarray(background[..., :3])
        self.accents = list(accents)
        self.bg_rgb = _pack(background)
        self.fps, self.hold = fps, hold
        # palette indices, for the size cap's re-encodes: frame 0, then each frame's changes
        self._first: np.ndarray | None = None
        self._changes: list[tuple[np.ndarray, np.ndarray]] = []  # (flat positions, new indices)
        self._idx: np.ndarray | None = None  # the latest frame's indices (updated in place)
        self._deltas = _Deltas() if gif else None
        self._pngs: list[bytes] | None = [] if pngs else None
        self._png: PngSequence | None = None
        self._fast: np.ndarray | None = None  # the latest frame's lookup-table indices (PNGs)
        self._moved: np.ndarray | None = None  # flat positions whose colour changed, last frame
        self._palette: Palette | None = None
        self._palette_made = threading.Event()
        self._prev_raw: np.ndarray | None = None
        self._worker = _Worker("gif-writer", self._handle)
        self._worker.put(None)  # first job: the palette (from the background)

    @property
    def palette(self) -> Palette:
        """The shared palette (waits for the background thread to make it)."""
        self._palette_made.wait()
        if self._palette is None:
            raise self._worker.error or RuntimeError("GIF palette not made")
        return self._palette

    def add(self, rgb: np.ndarray, *, owned: bool = False) -> None:
        """Queue an RGB(A) frame. `owned=True`: the writer may keep the array itself until it is
        processed, so the caller must not change it (else it is copied)."""
        self._worker.put(rgb if owned else np.array(rgb))

    def _handle(self, rgb: np.ndarray | None) -> None:
        if rgb is None:
            try:
                self._palette = Palette(self.background, self.accents)
            finally:
                self._palette_made.set()
            return
        idx, changed = self._quantize(rgb)
        if self._pngs is not None:
            self._pngs.append(self._png.add(self._fast, self._moved))
        if self._deltas is None:
            return
        if self._first is None:
            self._first = idx.copy()
        else:
            self._changes.append((changed, idx.reshape(-1)[changed]))
        self._deltas.add(idx, changed)

    @property
    def pngs(self) -> list[bytes]:
        """Every frame as a palette PNG, in order (waits for the thread; needs `pngs=True`)."""
        self._worker.join()
        if self._pngs is None:
            raise ValueError("made without pngs=True")
        return self._pngs

    @property
    def frames(self) -> list[np.ndarray]:
        """Every frame's palette indices (rebuilt from frame 0 and the changes)."""
        self._worker.join()
        if self._first is None:
            return []
        out = [self._first]
        for at, values in self._changes:
            f = out[-1].copy()
            f.reshape(-1)[at] = values
            out.append(f)
        return out

    def _quantize(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Palette indices of an RGB(A) frame, and the flat positions whose index changed since
        the previous frame.

        A pixel's index depends on its colour alone: the background's own (exact) index where it
        shows the background colour, else the nearest palette colour (lookup table). So only the
        pixels whose colour changed since the previous frame are looked up again.
        """
        palette = self._palette
        rgb = np.ascontiguousarray(rgb)
        raw = _raw(rgb)
        ref = self.bg_rgb if self._prev_raw is None else self._prev_raw
        first = self._idx is None
        if first:
            self._idx = palette.bg_index.copy()
            if self._pngs is not None:
                self._fast = palette.fast(self.background)
                flat_palette = palette.flat(fill=tuple(int(v) for v in palette.rgb[0]))
                self._png = PngSequence(flat_palette, self._fast.shape)
        flat = self._idx.reshape(-1)
        at = np.flatnonzero(raw != ref)
        self._moved = None if first else at
        if at.size:
            on_bg = (raw.reshape(-1)[at] | _OPAQUE) == self.bg_rgb.reshape(-1)[at]
            looked_up = palette.fast(rgb.reshape(-1, rgb.shape[-1])[at, :3])
            if self._fast is not None:
                self._fast.reshape(-1)[at] = looked_up
            new = np.where(on_bg, palette.bg_index.reshape(-1)[at], looked_up)
            keep = new != flat[at]
            at = at[keep]
            flat[at] = new[keep]
        self._prev_raw = raw
        return self._idx, at

    def abort(self) -> None:
        """Stop the background thread; any error of its is dropped."""
        self._worker.join(check=False)

    def encode(self, cap: int | None = GIF_CAP, min_width: int = GIF_MIN_WIDTH):
        """(GIF bytes, notes); lowers colours, then frame rate, then size until under `cap`."""
        self._worker.join()
        if self._deltas is None:
            raise ValueError("made with gif=False")
        notes: list[str] = []
        palette, fps = self._palette, self.fps
        data = _assemble(
            self._deltas, palette, durations_ms(len(self._deltas.images), fps, self.hold)
        )
        if cap is None or len(data) <= cap:
            return data, notes
        start = len(data)
        frames = self.frames
        for colors in (128, 64, 32):
            palette2 = Palette(self.background, self.accents, colors)
            remap = palette2.exact(palette.rgb[None, :, :])[0]
            remap = np.concatenate([remap, np.full(256 - len(remap), TRANSPARENT, np.uint8)])
            frames2 = [remap[f] for f in frames]
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
    return _raw(rgb) | _OPAQUE


def _raw(rgb: np.ndarray) -> np.ndarray:
    """One uint32 per pixel: a view of an RGBA frame's bytes (alpha as it is), or RGB packed with
    an opaque alpha."""
    if rgb.shape[-1] == 3:
        rgb = np.concatenate([rgb, np.full(rgb.shape[:-1] + (1,), 255, np.uint8)], axis=-1)
    rgba = np.ascontiguousarray(rgb, dtype=np.uint8)
    return rgba.view(np.uint32)[..., 0]


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


class _Deltas:
    """LZW-coded GIF image data of a frame sequence: frame 0 whole, later frames as the rectangle
    around their changed pixels (unchanged ones transparent)."""

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None  # (width, height)
        self.images: list[tuple[tuple[int, int, int, int], bytes]] = []  # (left, top, w, h), LZW
        self._prev: np.ndarray | None = None

    def add(self, frame: np.ndarray, changed: np.ndarray | None = None) -> None:
        """Add a frame of palette indices; `changed`, if known: the flat positions where it differs
        from the previous frame."""
        prev, self._prev = self._prev, frame
        h, w = frame.shape
        if prev is None:
            self.size = (w, h)
            self.images.append(((0, 0, w, h), _lzw(frame)))
            return
        if changed is None:
            changed = np.flatnonzero(frame != prev)
        if changed.size == 0:  # nothing changed: one transparent pixel (keeps one image per frame)
            self.images.append(((0, 0, 1, 1), _lzw(np.full((1, 1), TRANSPARENT, np.uint8))))
            return
        rows, cols = np.divmod(changed, w)
        r0, r1 = int(rows.min()), int(rows.max()) + 1
        c0, c1 = int(cols.min()), int(cols.max()) + 1
        box = np.full((r1 - r0, c1 - c0), TRANSPARENT, np.uint8)
        box[rows - r0, cols - c0] = frame.reshape(-1)[changed]
        self.images.append(((c0, r0, c1 - c0, r1 - r0), _lzw(box)))


def _lzw(indices: np.ndarray) -> bytes:
    """GIF image data (8-bit LZW, in sub-blocks, without the terminator) of palette indices."""
    h, w = indices.shape
    im = Image.frombytes("P", (w, h), np.ascontiguousarray(indices).tobytes())
    return im.tobytes("gif", "P")


def _assemble(deltas: _Deltas, palette: Palette, durations: list[int]) -> bytes:
    """The GIF file: global palette, loops forever, every frame `disposal=1` (kept) with
    TRANSPARENT as its transparent index; no comments, no timestamps."""
    w, h = deltas.size
    out = [b"GIF89a", struct.pack("<HHBBB", w, h, 0x87, 0, 0), bytes(palette.flat())]
    out.append(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00")
    for ((x, y, bw, bh), data), ms in zip(deltas.images, durations, strict=True):
        out.append(b"!\xf9\x04" + struct.pack("<BHBB", 1 << 2 | 1, ms // 10, TRANSPARENT, 0))
        out.append(b"," + struct.pack("<HHHHB", x, y, bw, bh, 0) + b"\x08")
        out += [data, b"\x00"]
    out.append(b";")
    return b"".join(out)


def _write_gif(frames: list[np.ndarray], palette: Palette, durations: list[int]) -> bytes:
    """Frame 0 in full, later frames as deltas (unchanged pixels transparent); loops forever."""
    deltas = _Deltas()
    for f in frames:
        deltas.add(f)
    return _assemble(deltas, palette, durations)


class Mp4Writer:
    """Streams RGBA frames to the bundled ffmpeg (H.264, yuv420p, +faststart, bitexact).

    Frames are written to ffmpeg's pipe from a background thread, so the caller goes on drawing
    while ffmpeg encodes. (The command line is the one `imageio_ffmpeg.write_frames` builds; the
    process is started here to widen its pipe and to wait for it without polling.)
    """

    def __init__(self, size: tuple[int, int], fps: float, crf: int = 20, hold: int = 0):
        """`hold`: the last frame added is shown this many more times (ffmpeg repeats it, after
        converting it once; same video as sending it again)."""
        w, h = size
        self.size = (w - w % 2, h - h % 2)
        self._dir = tempfile.TemporaryDirectory(prefix="gallery-mp4-")
        self.path = os.path.join(self._dir.name, "out.mp4")
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-f", "rawvideo", "-vcodec", "rawvideo",
               "-s", f"{self.size[0]}x{self.size[1]}", "-pix_fmt", "rgba",
               "-r", str(Fraction(fps).limit_denominator()), "-i", "-",
               "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-v", "error",
               "-preset", "veryfast", "-crf", str(crf), "-movflags", "+faststart",
               "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
               "-x264-params", "threads=1"]  # fmt: skip
        # one x264 thread: as fast here (drawing, not encoding, sets the pace) and ~12 % less
        # CPU than two, which the build's other render process uses
        if hold > 0:
            cmd += ["-vf", f"format=yuv420p,tpad=stop={int(hold)}:stop_mode=clone"]
        cmd.append(self.path)
        # its own process group: a Ctrl-C reaches us, and we stop ffmpeg (as imageio-ffmpeg does)
        group = {"creationflags": 0x200} if os.name == "nt" else {"process_group": 0}
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, **group
            )
        except BaseException:
            self._dir.cleanup()
            raise
        _widen_pipe(self._proc.stdin)
        self._worker = _Worker("mp4-writer", self._write)
        self.count = 0

    def add(self, rgba: np.ndarray, *, owned: bool = False) -> None:
        """Queue one RGBA frame (cropped to even dimensions). `owned=True`: the writer may keep
        the array itself until it is written, so the caller must not change it (else copied)."""
        w, h = self.size
        frame = rgba[:h, :w]
        frame = np.ascontiguousarray(frame) if owned else np.array(frame, order="C")
        self._worker.put(frame)
        self.count += 1

    def _write(self, frame: np.ndarray) -> None:
        try:
            self._proc.stdin.write(frame)
        except OSError as exc:  # not a BrokenPipeError to the caller: that means "stdout closed"
            code = self._proc.wait()
            raise RuntimeError(f"ffmpeg stopped taking frames (exit code {code}): {exc}") from None

    def finish(self) -> bytes:
        """Close the encoder and return the file's bytes."""
        try:
            self._worker.join()
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()
            code = self._proc.wait()
            if code != 0:
                raise RuntimeError(f"ffmpeg failed (exit code {code}) writing the MP4")
            with open(self.path, "rb") as fh:
                return fh.read()
        finally:
            self.abort()

    def abort(self) -> None:
        """Stop ffmpeg and remove the temporary file."""
        try:
            self._worker.join(check=False)
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        finally:
            self._dir.cleanup()


def _widen_pipe(pipe, size: int = 1 << 20) -> None:
    """A bigger pipe buffer to ffmpeg (Linux): a frame in a few writes and wake-ups, not ~60."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is None:
        return
    for n in (size, size // 4):
        try:
            fcntl.fcntl(pipe.fileno(), setsize, n)
            return
        except OSError:
            continue
