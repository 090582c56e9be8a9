#!/usr/bin/env bash
# Tests check.sh itself: it must pass good pages and fail bad ones, each with
# a message that says what is wrong. Needs Chromium, as check.sh does.
#
#   bash tests/browser/self_test.sh
set -euo pipefail
check=$(dirname "$0")/check.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrg-browser-self-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A valid 1×1 PNG; "AAAA" (three zero bytes) is not an image at all.
png=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
img="<img src=\"data:image/png;base64,$png\" width=64 height=64>"
page() { printf '%s\n' "$2" >"$tmp/$1.html"; }
page good "<!DOCTYPE html><html><head><meta charset=utf-8><style>h1{color:navy}</style></head><body><h1>Good → fine</h1>$img$img</body></html>"
page no-doctype "<p>no doctype</p>$img"
page broken "<!doctype html><p>broken</p>$img<img src=\"data:image/png;base64,AAAA\">"
page script-error "<!doctype html>$img<script>no_such_function();</script>"
page console-error "<!doctype html>$img<script>console.error('something broke');</script>"
page no-images "<!doctype html><p>text only</p>"
page external "<!doctype html><img src=\"good.png\">"
printf '%s' "$png" | base64 -d >"$tmp/good.png"

failures=0
# expect pass|fail PATTERN -- ARGS...: runs check.sh ARGS and wants that
# outcome with PATTERN (an extended regex) in its output.
expect() {
    local want=$1 pattern=$2 got=pass
    shift 3
    "$@" >"$tmp/out" 2>&1 || got=fail
    if [[ $got == "$want" ]] && grep -qE -- "$pattern" "$tmp/out"; then
        echo "ok: $want as expected: $(grep -m1 -E -- "$pattern" "$tmp/out")"
    else
        echo "NOT OK: wanted $want matching /$pattern/, got $got from: $*" >&2
        sed 's/^/    /' "$tmp/out" >&2
        failures=$((failures + 1))
    fi
}

expect pass '^browser check: 2 images loaded, no console errors; screenshot ' -- \
    bash "$check" "$tmp/good.html" "$tmp/shots/good.png"
if cmp -s -n 8 "$tmp/shots/good.png" <(printf '\x89PNG\r\n\x1a\n'); then
    echo "ok: the screenshot is a PNG"
else
    echo "NOT OK: no PNG screenshot at $tmp/shots/good.png" >&2
    failures=$((failures + 1))
fi
expect pass '1 images loaded' -- bash "$check" "$tmp/no-doctype.html" "$tmp/shot.png"
expect fail 'image 2 of 2 did not load: data:image/png;base64,AAAA' -- \
    bash "$check" "$tmp/broken.html" "$tmp/shot.png"
expect fail 'script error: Uncaught ReferenceError: no_such_function' -- \
    bash "$check" "$tmp/script-error.html" "$tmp/shot.png"
expect fail 'console\.error: something broke' -- \
    bash "$check" "$tmp/console-error.html" "$tmp/shot.png"
expect fail 'no <img> in the page' -- bash "$check" "$tmp/no-images.html" "$tmp/shot.png"
expect fail '<img> not embedded: good.png' -- bash "$check" "$tmp/external.html" "$tmp/shot.png"
expect fail 'no report at ' -- bash "$check" "$tmp/missing.html" "$tmp/shot.png"
expect fail 'no Chromium found.*apt-get install chromium' -- \
    env CHROMIUM="$tmp/no-such-browser" bash "$check" "$tmp/good.html" "$tmp/shot.png"
expect fail 'build it first with cargo build --release' -- \
    env VRG="$tmp/no-such-vrg" bash "$check"

if ((failures)); then
    echo "browser self-test: $failures case(s) failed" >&2
    exit 1
fi
echo "browser self-test: check.sh passes good pages and fails bad ones"
