#!/usr/bin/env bash
# Install Debian's headless chromium for the browser tests, if it is missing and we can.
# Never fails the caller: browser tests skip cleanly when chromium is absent.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for browser tests (Debian package)…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/tmp/ensure-chromium.log 2>&1 \
    || echo "chromium install failed (browser tests will skip): see /tmp/ensure-chromium.log"
fi
exit 0
