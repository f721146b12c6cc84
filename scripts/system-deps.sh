#!/usr/bin/env bash
# WeasyPrint needs Pango (and fonts) from the system. Install them when missing, on
# Debian/Ubuntu as root; otherwise say what is needed.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && fc-list 2>/dev/null | grep -qi dejavu; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Pango and fonts for PDF rendering…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null
else
  echo "PDF rendering needs Pango (>= 1.44) and the DejaVu fonts: on Debian or Ubuntu," >&2
  echo "  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" >&2
  exit 1
fi
