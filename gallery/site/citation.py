"""Citation: what CITATION.cff says about the gallery, read with a YAML parser and checked.

The site's title, authors, version, licences, repository and address come from this one file,
so a fork that edits it cites itself everywhere. An address that is missing or still the
template's placeholder is not used: the snippets then use relative links and say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import gallery

#: Addresses that are templates, not a real site: snippets never point there.
PLACEHOLDER = re.compile(r"^https?://(www\.)?example\.|\.example(/|$)|^https?://localhost")
#: The licence of the figures and texts the gallery makes, when CITATION.cff names none.
FIGURE_LICENSE = "CC-BY-4.0"


class CitationError(ValueError):
    """CITATION.cff cannot be read, or lacks what the site needs; the message names it."""


@dataclass(frozen=True)
class Citation:
    """What CITATION.cff says about the project."""

    title: str
    authors: tuple[str, ...]
    version: str
    year: str
    url: str | None  # the published site, ending in "/"; None when unknown or a placeholder
    repository: str | None
    licenses: tuple[str, ...]  # SPDX ids: the code's, and the figures'

    @property
    def figure_license(self) -> str:
        """The licence of the figures: the one that is not a software licence, if named."""
        for name in self.licenses:
            if name.upper().startswith("CC"):
                return name
        return FIGURE_LICENSE

    @property
    def code_license(self) -> str:
        others = [n for n in self.licenses if not n.upper().startswith("CC")]
        return others[0] if others else "MIT"


def _author(a: object) -> str | None:
    if not isinstance(a, dict):
        return None
    if isinstance(a.get("name"), str):
        return a["name"]
    family, given = a.get("family-names"), a.get("given-names")
    if isinstance(family, str):
        return f"{family}, {given}" if isinstance(given, str) else family
    return None


def read(path: Path, base_url: str | None = None) -> Citation:
    """Read `path` (CITATION.cff). `base_url`, when given, is the site's address and wins."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise CitationError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CitationError(f"{path}: must be a mapping of CFF keys")
    title = data.get("title", "Optimizer Gallery")
    if not isinstance(title, str) or not title.strip():
        raise CitationError(f"{path}: title: must be a non-empty string")
    authors = tuple(filter(None, (_author(a) for a in data.get("authors") or ())))
    licenses = data.get("license", ())
    licenses = (licenses,) if isinstance(licenses, str) else tuple(map(str, licenses or ()))
    url = base_url or data.get("url")
    if not isinstance(url, str) or PLACEHOLDER.search(url.strip()):
        url = None
    elif not url.endswith("/"):
        url += "/"
    released = data.get("date-released", "")
    repository = data.get("repository-code")
    return Citation(
        title=title.strip(),
        authors=authors or ("Optimizer Gallery contributors",),
        version=str(data.get("version", gallery.__version__)),
        year=str(released)[:4],
        url=url.strip() if url else None,
        repository=repository if isinstance(repository, str) else None,
        licenses=licenses,
    )
