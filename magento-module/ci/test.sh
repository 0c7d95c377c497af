#!/usr/bin/env bash
# Everything the module's tests need: php -l, XSD validation of every XML file against Magento's real
# schemas, composer validate --strict, PHPUnit (unit + integration against the real cronkeeper binary), and the
# timeline component in headless Chromium against the real binary (screenshot: ci/artifacts/timeline.png)
# and its layout helpers under node --test.
#
# With CI set nothing may be skipped: a missing tool, schema or binary fails the run.
# Outside CI a missing tool prints "SKIPPED ..." and the rest still runs.
#
# Environment:
#   CRONKEEPER_BIN   the cronkeeper binary for Test/Integration and Test/Browser (default: <repo>/target/debug/cronkeeper if present)
#   CHROMIUM_BIN, CHROMEDRIVER_BIN   default /usr/bin/chromium, /usr/bin/chromedriver (Debian's chromium, chromium-driver)
set -uo pipefail

MODULE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$MODULE_DIR" && git rev-parse --show-toplevel)"
SHARED="${CRONKEEPER_SHARED:-$REPO_ROOT/../shared}"
XSD_DIR="$SHARED/magento-reference/xsd"
IN_CI="${CI:-}"

failures=0
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
skip() {
    if [ -n "$IN_CI" ]; then fail "$* (nothing may be skipped in CI)"; else echo "SKIPPED $*"; fi
}
have() { command -v "$1" >/dev/null 2>&1; }

cd "$MODULE_DIR" || exit 1
# Files of the module itself, never vendor/ or build output.
list_files() { find . -path ./vendor -prune -o -type f -name "$1" -print | sort; }

# 1. php -l on every PHP file and template
if have php; then
    n=0
    while IFS= read -r f; do
        n=$((n + 1))
        out="$(php -l "$f" 2>&1)" || fail "php -l $f: $out"
    done < <(list_files '*.php'; list_files '*.phtml')
    echo "php -l: $n files checked (PHP and templates)"
else
    skip "php -l (php not installed)"
fi

# 2. XSD validation of every XML file (phpunit.xml.dist is PHPUnit's, not Magento's: checked for well-formedness)
if have xmllint && [ -f "$XSD_DIR/URN_MAP.tsv" ] && [ -f "$XSD_DIR/catalog.xml" ]; then
    n=0
    while IFS= read -r f; do
        n=$((n + 1))
        urn="$(sed -n 's/.*xsi:noNamespaceSchemaLocation="\([^"]*\)".*/\1/p' "$f" | head -n1)"
        if [ -z "$urn" ]; then
            case "$f" in
                ./phpunit.xml.dist|./Test/*)
                    xmllint --noout --nonet "$f" || fail "$f is not well-formed" ;;
                *) fail "$f names no xsi:noNamespaceSchemaLocation" ;;
            esac
            continue
        fi
        rel="$(awk -F'\t' -v u="$urn" '$1 == u { print $2; exit }' "$XSD_DIR/URN_MAP.tsv")"
        if [ -z "$rel" ] || [ ! -f "$XSD_DIR/$rel" ]; then
            fail "$f: schema $urn not found in URN_MAP.tsv"
            continue
        fi
        XML_CATALOG_FILES="$XSD_DIR/catalog.xml" \
            xmllint --noout --nonet --schema "$XSD_DIR/$rel" "$f" 2>/tmp/ck-xmllint.$$ \
            || fail "$f against $urn: $(cat /tmp/ck-xmllint.$$)"
    done < <(list_files '*.xml'; list_files '*.xml.dist')
    rm -f /tmp/ck-xmllint.$$
    echo "xmllint: $n XML files checked"
elif ! have xmllint; then
    skip "XSD validation (xmllint not installed)"
else
    skip "XSD validation (no schemas at $XSD_DIR)"
fi

# 3. composer validate --strict
if have composer; then
    COMPOSER_ALLOW_SUPERUSER=1 composer validate --strict --no-interaction --no-check-publish \
        || fail "composer validate --strict"
else
    skip "composer validate (composer not installed)"
fi

# 4. PHPUnit
if have phpunit && have php; then
    if [ -z "${CRONKEEPER_BIN:-}" ] && [ -x "$REPO_ROOT/target/debug/cronkeeper" ]; then
        export CRONKEEPER_BIN="$REPO_ROOT/target/debug/cronkeeper"
    fi
    if [ -z "${CRONKEEPER_BIN:-}" ]; then
        skip "Test/Integration against the service (CRONKEEPER_BIN unset and no target/debug/cronkeeper)"
    fi
    phpunit --configuration "$MODULE_DIR/phpunit.xml.dist" --testsuite unit,integration || fail "phpunit"

    # 5. The timeline component (view/adminhtml/web/js/timeline.js) in headless Chromium, on a standalone
    #    page against the real service with real runs (Test/Browser/TimelineBrowserTest.php).
    if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || [ ! -x "${CHROMEDRIVER_BIN:-/usr/bin/chromedriver}" ]; then
        skip "timeline browser test (chromium/chromedriver not installed: run ci/install.sh)"
    elif [ -z "${CRONKEEPER_BIN:-}" ]; then
        skip "timeline browser test (CRONKEEPER_BIN unset)"
    else
        phpunit --configuration "$MODULE_DIR/phpunit.xml.dist" --testsuite browser || fail "timeline browser test"
        [ -f "$MODULE_DIR/ci/artifacts/timeline.png" ] && echo "timeline screenshots: $MODULE_DIR/ci/artifacts/timeline.png, timeline-hover.png"
    fi
else
    skip "phpunit (not installed)"
fi

# 6. The timeline component's layout helpers (ticks across time zones and DST, run extents) under Node's
#    own test runner; no npm packages.
if have node; then
    node --test "$MODULE_DIR/Test/js/" || fail "node --test Test/js (timeline.js)"
else
    skip "node --test Test/js (node not installed)"
fi

if [ "$failures" -gt 0 ]; then
    echo "magento-module: $failures check(s) failed" >&2
    exit 1
fi
echo "magento-module: all checks passed"
