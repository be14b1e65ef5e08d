"""Math as SVG: a LaTeX (mathtext) string in, a deterministic standalone SVG out, no JavaScript."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

from matplotlib import mathtext, rcParams  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

#: Fixed salt so the ids matplotlib writes into SVG files are the same on every build.
HASH_SALT = "optimizer-gallery"
FONT_SIZE = 16

_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_BACKGROUND = re.compile(r'\s*<g id="patch_1">.*?</g>', re.S)


class MathError(ValueError):
    """The LaTeX string is not something mathtext can typeset."""


def latex_svg(latex: str, size: float = FONT_SIZE) -> bytes:
    """Typeset `latex` (without dollar signs) with mathtext; transparent, no date, stable ids."""
    rcParams["svg.hashsalt"] = HASH_SALT
    rcParams["svg.fonttype"] = "path"
    buf = io.BytesIO()
    try:
        mathtext.math_to_image(f"${latex}$", buf, prop=FontProperties(size=size), format="svg")
    except (ValueError, RuntimeError) as exc:
        raise MathError(f"cannot typeset {latex!r}: {exc}") from None
    text = buf.getvalue().decode("utf-8")
    text = _METADATA.sub("", text, count=1)
    text = _BACKGROUND.sub("", text, count=1)
    return text.encode("utf-8")
