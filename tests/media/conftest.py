"""Helpers for the media tests."""

from __future__ import annotations

import numpy as np


def pixel(scene, panel: str, xy) -> tuple[float, float]:
    """Row/column in a scene's frame image of a data point on a 2-D panel ("contour" or "loss")."""
    ax = scene.ax_contour if panel == "contour" else scene.ax_loss
    px, py = ax.transData.transform(np.asarray(xy, dtype=float))
    return scene.height - py, px
