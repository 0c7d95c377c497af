"""Relative links of the setup pages and docs/deploy/README.md."""

import re

from harness import HERE, REPO, SETUP, check, note


# Pages being written alongside these: a link to one is reported until it
# lands. Empty now that every setup page exists.
PAGES_BEING_WRITTEN: set[str] = set()


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@check("every relative link of the setup pages and docs/deploy/README.md reaches a file and heading")
def _():
    pages = [SETUP / n for n in ("README.md", "multi-node.md", "kubernetes.md", "upgrading-and-backups.md")] + [HERE / "README.md"]
    pending = set()
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                assert dest.name in PAGES_BEING_WRITTEN, f"{page.relative_to(REPO)}: {target} does not exist"
                pending.add(dest.name)
                continue
            if anchor:
                assert dest.suffix == ".md" and anchor in anchors(dest), f"{page.relative_to(REPO)}: no heading #{anchor} in {dest.name}"
    for name in sorted(pending):
        note(f"{name} is being written by another helper: links to it were not checked")
