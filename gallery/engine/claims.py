"""Claims: what an authored paragraph says a run shows, in a form the build can check.

A claim is one short line next to a paragraph of commentary:

    converges                  the paragraph's own run shows it (a step, a count above zero...)
    not diverges               it does not
    zigzag_y >= 10             a bound on the measured number
    escapes < sgd.escapes      a bound taken from another run of the same scenario
    momentum.lingers <= 12     a claim about another run

Numbers in the paragraph itself are placeholders filled from the run or the file, e.g.
`{diverges}`, `{momentum.escapes}`, `{adam.lr}`, `{steps}`, `{diverges.axis}`; a number typed into
the text (outside `code` spans) is an error, so the prose cannot drift from the run it describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gallery.engine.observe import NAMES

OPERATORS = (">=", "<=", "==", "!=", ">", "<")
_REF = r"[a-z][a-z0-9_]*"
_CLAIM = re.compile(
    rf"^\s*(?P<not>not\s+)?(?:(?P<ref>{_REF})\.)?(?P<name>{_REF})"
    rf"(?:\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<bound>[-+0-9.eE]+|(?:{_REF}\.)?{_REF}))?\s*$"
)
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)\}")
_CODE = re.compile(r"`[^`]*`")
_TYPED = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class ClaimSyntaxError(ValueError):
    """A claim or placeholder that cannot be read; the message says why."""


@dataclass(frozen=True)
class Claim:
    """One checkable statement about a run."""

    text: str  # as written
    negated: bool
    ref: str | None  # the run it is about (None: the paragraph's own)
    name: str  # observation name
    op: str | None
    bound: float | None  # a number, or None when `bound_ref` is used
    bound_ref: tuple[str | None, str] | None  # (run, observation) for a bound from a run


def parse_claim(text: str) -> Claim:
    """Read one claim line; raise `ClaimSyntaxError` with what is allowed."""
    if not isinstance(text, str):
        raise ClaimSyntaxError(
            f"a claim is a string like 'converges' or 'zigzag_y >= 3', got {text!r}"
        )
    m = _CLAIM.match(text)
    if not m:
        raise ClaimSyntaxError(
            f"cannot read claim {text!r}: write [not] [run.]observation [op bound], "
            f"op one of {' '.join(OPERATORS)}"
        )
    name = m["name"]
    if name not in NAMES:
        from gallery.engine.text import did_you_mean

        raise ClaimSyntaxError(
            f"claim {text!r}: unknown observation '{name}'; allowed: {', '.join(NAMES)}"
            + did_you_mean(name, NAMES)
        )
    bound, bound_ref = None, None
    if m["bound"] is not None:
        try:
            bound = float(m["bound"])
        except ValueError:
            ref, _, obs = m["bound"].rpartition(".")
            if obs not in NAMES:
                raise ClaimSyntaxError(
                    f"claim {text!r}: the bound must be a number or [run.]observation"
                ) from None
            bound_ref = (ref or None, obs)
    if m["not"] and m["op"]:
        raise ClaimSyntaxError(f"claim {text!r}: use either 'not' or a bound, not both")
    return Claim(text.strip(), bool(m["not"]), m["ref"], name, m["op"], bound, bound_ref)


def placeholders(text: str) -> list[str]:
    """The placeholder names of a paragraph, in order."""
    return PLACEHOLDER.findall(text)


def typed_numbers(text: str) -> list[str]:
    """Numbers typed into a paragraph (outside placeholders and `code` spans)."""
    bare = _CODE.sub("", PLACEHOLDER.sub("", text.replace("{{", "").replace("}}", "")))
    return _TYPED.findall(bare)


def compare(value: float, op: str, bound: float) -> bool:
    """`value op bound`."""
    return {
        ">=": value >= bound,
        "<=": value <= bound,
        "==": value == bound,
        "!=": value != bound,
        ">": value > bound,
        "<": value < bound,
    }[op]
