#!/usr/bin/env bash
# WeasyPrint needs Pango (and fonts) from the system; with `dev`, the tests also need pdfinfo
# (poppler-utils) to read the packs' tagged structure. HarfBuzz's subsetter is recommended:
# without it WeasyPrint subsets the packs' fonts with fontTools, a third of a second slower per
# pack, and warns that its future versions will need it. Install what is missing, on
# Debian/Ubuntu as root; otherwise say what is needed (a missing recommended package alone is
# not an error).
set -euo pipefail
packages=()
if ! { ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && fc-list 2>/dev/null | grep -qi dejavu; }; then
  packages+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
fi
recommended=()
if ! ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so'; then
  recommended+=(libharfbuzz-subset0)
fi
if [ "${1:-}" = dev ] && ! command -v pdfinfo >/dev/null; then
  packages+=(poppler-utils)
fi
if [ ${#packages[@]} -eq 0 ] && [ ${#recommended[@]} -eq 0 ]; then
  exit 0
fi
all=("${packages[@]}" "${recommended[@]}")
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${all[*]}…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${all[@]}" >/dev/null
elif [ ${#packages[@]} -eq 0 ]; then
  echo "Recommended (the packs' fonts are subset faster): sudo apt-get install ${recommended[*]}" >&2
else
  echo "Missing system packages: on Debian or Ubuntu," >&2
  echo "  sudo apt-get install ${all[*]}" >&2
  exit 1
fi
