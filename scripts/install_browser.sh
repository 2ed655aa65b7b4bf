#!/bin/sh
# Debian's chromium for the browser test (Playwright drives it; it never downloads a browser of its own).
set -e
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no /usr/bin/chromium and no apt-get: the browser test will be skipped" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "no /usr/bin/chromium and not root: the browser test will be skipped" >&2
    exit 0
  fi
  SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "apt-get update failed; trying the package lists already here" >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null || echo "could not install chromium: the browser test will be skipped" >&2
