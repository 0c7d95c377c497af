"""Relative links of the setup pages and docs/deploy/README.md."""

import re

from harness import HERE, REPO, SETUP, check


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@check("every relative link of the setup pages and docs/deploy/README.md reaches a file and heading")
def _():
    pages = [SETUP / n for n in ("README.md", "multi-node.md", "kubernetes.md", "upgrading-and-backups.md")] + [HERE / "README.md"]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            assert dest.exists(), f"{page.relative_to(REPO)}: {target} does not exist"
            if anchor:
                assert dest.suffix == ".md" and anchor in anchors(dest), f"{page.relative_to(REPO)}: no heading #{anchor} in {dest.name}"
