"""Checks the deployment artefacts in docs/deploy/ against the tools that judge
them and against the real cronkeeper binary: `python docs/deploy/checks`
(docs/deploy/test.sh runs it with the tools' venv). The last line is
`deploy: N passed, N failed[, N skipped]`.
"""

import importlib
import sys

from harness import results

# Each module runs its checks as it is imported, in this order.
for module in ("manifests", "dockerfiles", "systemd_units", "links", "binary_runs", "multi_node", "backups"):
    importlib.import_module(module)

print(f"deploy: {results['passed']} passed, {results['failed']} failed" + (f", {results['skipped']} skipped" if results["skipped"] else ""))
sys.exit(1 if results["failed"] else 0)
