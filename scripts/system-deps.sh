#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real, when they are missing:
#   chromium       - the browser the page tests run in (Playwright drives it; no browser download)
#   dovecot-imapd  - a real IMAP server the mail tests start on a free port with a throwaway config
#   fonts-noto-color-emoji - emoji in the page as Chromium draws it (the README's screenshots)
# Needs root and apt (Debian/Ubuntu). Elsewhere it says what is missing and carries on: the tests
# that need a missing package then skip with one line, and fail when CI requires them.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not installed (needs root and apt): ${missing[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's package starts a system-wide dovecot on 143/993; the tests run their own instance.
if [[ " ${missing[*]} " == *" dovecot-imapd "* ]]; then
  (service dovecot stop || pkill -x dovecot || true) >/dev/null 2>&1
fi
