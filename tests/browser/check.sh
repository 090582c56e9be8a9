#!/usr/bin/env bash
# Opens the demo's report.html in a real browser (headless Chromium) and
# checks what only a browser can tell: every <img> decodes (there is at least
# one), and the page logs no console error and fails no resource load. Then
# it saves a screenshot of the page to look at.
#
#   bash tests/browser/check.sh [REPORT.html] [SCREENSHOT.png]
#
# Without REPORT.html it runs `${VRG:-target/release/vrg} demo` (from the
# repository root) into a temporary folder and checks the report written
# there. SCREENSHOT.png defaults to target/browser/report.png. $CHROMIUM
# names the browser if it is none of chromium, chromium-browser,
# google-chrome. Exit status 0: the page passed; 1: it did not (or the check
# could not run), with the reason on stderr.
set -euo pipefail

fail() { echo "browser check: $*" >&2; exit 1; }

# Arguments are relative to the caller's directory, the defaults (and $VRG)
# to the repository root, where the script then runs.
report=${1:+$(realpath -m -- "$1")}
shot=$(realpath -m -- "${2:-$(dirname "$0")/../../target/browser/report.png}")
cd "$(dirname "$0")/../.."

browser=${CHROMIUM:-}
if [[ -z $browser ]]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null; then browser=$b; break; fi
    done
fi
[[ -n $browser ]] && command -v "$browser" >/dev/null ||
    fail "no Chromium found${CHROMIUM:+ (CHROMIUM=$CHROMIUM)}: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vrg-browser.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [[ -z $report ]]; then
    vrg=${VRG:-target/release/vrg}
    [[ -x $vrg ]] || command -v "$vrg" >/dev/null ||
        fail "$vrg not found: build it first with cargo build --release (or set VRG)"
    "$vrg" demo --out "$tmp/demo" >"$tmp/demo.log" 2>&1 ||
        { tail -n 20 "$tmp/demo.log" >&2; fail "$vrg demo --out $tmp/demo failed (log above)"; }
    report=$tmp/demo/report.html
    [[ -f $report ]] || fail "$vrg demo wrote no report.html (in $tmp/demo: $(ls "$tmp/demo" | tr '\n' ' '))"
fi
[[ -f $report ]] || fail "no report at $report"

# Both pages are opened from the temporary folder, alone: a report that is
# truly self-contained does not care where it lies.
cp -- "$report" "$tmp/report.html"

# The instrumented copy: a probe script placed first (right after the
# doctype, so it sees every error) that, once the page has loaded, writes its
# verdict into the DOM, which --dump-dom prints. The report has no script of
# its own, so anything the probe hears comes from the page.
probe='<meta charset="utf-8"><script>(() => {
  const fails = [], short = s => String(s).slice(0, 80);
  addEventListener("error", e => fails.push(e.target instanceof Element
    ? "failed to load <" + e.target.localName + "> " + short(e.target.src || e.target.href)
    : "script error: " + e.message), true);
  addEventListener("unhandledrejection", e => fails.push("unhandled rejection: " + short(e.reason)));
  const error = console.error;
  console.error = (...a) => { fails.push("console.error: " + short(a.join(" "))); error(...a); };
  addEventListener("load", () => {
    const imgs = [...document.images];
    if (!imgs.length) fails.push("no <img> in the page");
    imgs.forEach((img, i) => { if (!img.complete || !(img.naturalWidth > 0))
      fails.push("image " + (i + 1) + " of " + imgs.length + " did not load: " + short(img.src)); });
    for (const el of document.querySelectorAll("[src], link[href], object[data]")) {
      const url = el.getAttribute("src") ?? el.getAttribute("href") ?? el.getAttribute("data");
      if (!/^data:/i.test(url.trim())) fails.push("<" + el.localName + "> not embedded: " + short(url));
    }
    const pre = document.createElement("pre");
    pre.id = "vrg-check";
    pre.textContent = fails.length ? "FAIL\n" + fails.join("\n") : "OK n_images=" + imgs.length;
    document.body.append(pre);
  });
})();</script>'
PROBE=$probe perl -0777 -pe 's/^(\s*<!doctype[^>]*>)?/$1$ENV{PROBE}/i' \
    "$tmp/report.html" >"$tmp/probe.html"

# A fresh profile, nothing fetched from the network, and a time limit (a hung
# browser must fail the check, not stall it). --disable-dev-shm-usage: the
# small /dev/shm of containers crashes Chromium.
run_browser() {
    rm -rf "$tmp/profile"
    timeout -k 5 60 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-extensions --disable-dev-shm-usage \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
        --window-size=1280,3000 --hide-scrollbars "$@" 2>>"$tmp/browser.log" ||
        { local rc=$?; tail -n 20 "$tmp/browser.log" >&2; fail "$browser exited with status $rc (log above)"; }
}
url() { local p=${1//%/%25}; echo "file://${p// /%20}"; }

run_browser --dump-dom "$(url "$tmp/probe.html")" >"$tmp/dom.html"
verdict=$(perl -0777 -ne 'if (m{<pre id="vrg-check">(.*?)</pre>}s) {
    $_ = $1; s/&lt;/</g; s/&gt;/>/g; s/&nbsp;/ /g; s/&amp;/&/g; print }' "$tmp/dom.html")
[[ -n $verdict ]] || fail "the page never finished loading (no verdict from the probe in $browser's DOM)"

# The screenshot shows the report itself, not the instrumented copy.
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
run_browser --screenshot="$shot" "$(url "$tmp/report.html")" >/dev/null

# Chromium logs every console message of a page as a CONSOLE line (errors
# included, uncaught exceptions as "Uncaught ..."), whatever its level; a page
# without scripts has none.
console=$(grep -E 'CONSOLE|Uncaught' "$tmp/browser.log" || true)

status=0
if [[ $verdict != OK* ]]; then
    echo "browser check: $report failed:" >&2
    echo "${verdict#FAIL$'\n'}" | sed 's/^/  /' >&2
    status=1
fi
if [[ -n $console ]]; then
    echo "browser check: console messages from $report:" >&2
    echo "$console" | sed 's/^/  /' >&2
    status=1
fi
if [[ ! -s $shot ]] || ! cmp -s -n 8 "$shot" <(printf '\x89PNG\r\n\x1a\n'); then
    echo "browser check: no PNG screenshot written to $shot" >&2
    status=1
fi
[[ $status == 0 ]] || exit 1
echo "browser check: ${verdict#OK n_images=} images loaded, no console errors; screenshot $shot"
