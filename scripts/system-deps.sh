#!/usr/bin/env bash
# WeasyPrint needs Pango (and fonts) from the system; with `dev`, the tests also need pdfinfo
# (poppler-utils) to read the packs' tagged structure. Install what is missing, on
# Debian/Ubuntu as root; otherwise say what is needed.
set -euo pipefail
packages=()
if ! { ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && fc-list 2>/dev/null | grep -qi dejavu; }; then
  packages+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
fi
if [ "${1:-}" = dev ] && ! command -v pdfinfo >/dev/null; then
  packages+=(poppler-utils)
fi
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${packages[*]}…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
else
  echo "Missing system packages: on Debian or Ubuntu," >&2
  echo "  sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
