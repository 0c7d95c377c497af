#!/usr/bin/env bash
# Installs what magento-module/ci/test.sh needs (PHP, PHPUnit, xmllint, composer, chromium, node), only what is missing.
# Idempotent: a second run with everything present does nothing, not even `apt-get update`.
set -euo pipefail

need=()
command -v php >/dev/null 2>&1 || need+=(php-cli)
if command -v php >/dev/null 2>&1; then
    php -m | grep -qix curl || need+=(php-curl)
    php -m | grep -qix dom || need+=(php-xml)
    php -m | grep -qix mbstring || need+=(php-mbstring)
else
    need+=(php-curl php-xml php-mbstring)
fi
command -v phpunit >/dev/null 2>&1 || need+=(phpunit)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v composer >/dev/null 2>&1 || need+=(composer)
# The timeline's browser test: Debian's Chromium, its WebDriver, and a font to draw text with.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
# node --test for timeline.js's helpers (the machine image ships Node; Debian's nodejs otherwise).
command -v node >/dev/null 2>&1 || need+=(nodejs)

if [ ${#need[@]} -eq 0 ]; then
    echo "magento-module: PHP toolchain and chromium already present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "magento-module: installing ${need[*]}"
# An update is needed at most once: on a fresh image the package lists are empty.
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
