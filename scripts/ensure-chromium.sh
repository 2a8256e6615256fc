#!/usr/bin/env bash
# Install Debian's headless chromium (browser tests, PDF printing) and poppler-utils' pdftoppm
# (the PDF page tests render printed pages to images), if missing and we can.
# Never fails the caller: those tests skip cleanly when the tools are absent.
set -u
command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and poppler-utils for the browser and PDF tests (Debian packages)…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils) >/tmp/ensure-chromium.log 2>&1 \
    || echo "chromium/poppler-utils install failed (browser and PDF tests will skip): see /tmp/ensure-chromium.log"
fi
exit 0
