#!/usr/bin/env bats
# End-to-end: `gpuval report` on a generated 30-night history (two driver upgrades, one node
# regressing, one slow node), and the HTML opened in headless Chromium: the page's tables and
# SVG charts must render with a size, and a screenshot must be a real image. The report and the
# screenshot are kept in GPUVAL_ARTIFACT_DIR (set by CTest; else the bats run's temporary
# directory). GPUVAL and GPUVAL_SOURCE_DIR come from CTest.

setup_file() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  export ART="${GPUVAL_ARTIFACT_DIR:-$BATS_RUN_TMPDIR}/report_render"
  export HIST="$BATS_FILE_TMPDIR/history"
  export HTML="$ART/report.html"
  rm -rf "$ART"
  mkdir -p "$ART"
  python3 "$GPUVAL_SOURCE_DIR/tests/support/gen_history.py" "$HIST" --nights 30 \
    --driver-upgrade 10:560.35.03 --driver-upgrade 20:570.86.10 \
    --regress gpu-h100-02:stream-triad:24:0.85 --slow-node gpu-h100-03:gemm-bf16:0.8
  # The browser: Debian names it chromium, others chromium-browser. Empty when none.
  CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
  export CHROMIUM
}

setup() {
  PNG_INFO="$GPUVAL_SOURCE_DIR/tests/support/png_info.py"
}

# Writes the report once per file (later tests reuse it); fails with gpuval's output.
make_report() {
  [ -s "$HTML" ] && return 0
  run "$GPUVAL" report "$HIST" --html "$HTML"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -s "$HTML" ]
}

need_chromium() {
  [ -n "$CHROMIUM" ] || skip "no headless browser: neither chromium nor chromium-browser is on PATH (apt-get install chromium)"
}

# Headless Chromium as root in a container: no sandbox, no GPU, a throwaway profile and HOME.
browser() {
  local home="$BATS_TEST_TMPDIR/browser-home"
  mkdir -p "$home"
  HOME="$home" timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu \
    --no-first-run --no-default-browser-check --disable-extensions \
    --user-data-dir="$BATS_TEST_TMPDIR/browser-profile" --window-size=1400,6000 "$@" \
    2>>"$ART/chromium.log"
}

# Python expression $2 over the JSON text $1 (as d).
json_get() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }

# The value of attribute $2 of the <body> tag in file $1.
body_attr() {
  grep -o '<body[^>]*>' "$1" | head -n 1 | sed -n "s/.*$2=\"\\([^\"]*\\)\".*/\\1/p"
}

@test "report: one self-contained HTML file with outliers, regressions and model sections" {
  make_report
  grep -q '^<!DOCTYPE html>' "$HTML"
  # Nothing fetched from elsewhere: no URLs, no src attributes, no remote imports.
  run grep -Eic 'https?:|src=|@import|url\(' "$HTML"
  [ "$output" -eq 0 ]
  grep -q '<section id="outliers">' "$HTML"
  grep -q '<section class="model" id="model-nvidia-h100-80gb-hbm3">' "$HTML"
  grep -q '<section class="model" id="model-nvidia-a100-sxm4-80gb">' "$HTML"
  # The injected regression and the slow node are found and listed.
  grep -Eq '<tr class="regression[^"]*"><td class="date">2026-10-25</td><td>gpu-h100-02</td>.*stream-triad' "$HTML"
  grep -Eq '<tr class="outlier"><td>gpu-h100-03</td>.*gemm-bf16' "$HTML"
  echo "# report: $HTML" >&3
}

@test "chromium: every table and SVG chart renders with a non-zero size" {
  need_chromium
  make_report
  local dom="$ART/report-dom.html"
  browser --dump-dom "file://$HTML" >"$dom" || {
    tail -n 20 "$ART/chromium.log"
    false
  }
  local tables charts rendered
  tables="$(body_attr "$dom" data-tables)"
  charts="$(body_attr "$dom" data-charts)"
  rendered="$(body_attr "$dom" data-rendered)"
  echo "page: tables=$tables charts=$charts; rendered: $rendered"
  # Two models: at least outliers, regressions, and a summary and checks table each.
  [ "$tables" -ge 6 ]
  [ "$charts" -ge 4 ]
  [ "$rendered" = "tables=$tables charts=$charts" ]
  # The DOM the browser built: outliers before the first model section, regression marks drawn.
  local outliers_at model_at
  outliers_at="$(grep -bo '<section id="outliers">' "$dom" | cut -d: -f1)"
  model_at="$(grep -bo '<section class="model"' "$dom" | head -n 1 | cut -d: -f1)"
  [ -n "$outliers_at" ] && [ -n "$model_at" ] && [ "$outliers_at" -lt "$model_at" ]
  grep -q '<circle class="reg"' "$dom"
  grep -q 'class="driver-rule"' "$dom"
}

@test "chromium: the screenshot is a real 1400x6000 image (tall enough to reach the first charts) with the charts' colours" {
  need_chromium
  make_report
  local png="$ART/report.png"
  rm -f "$png"
  browser --screenshot="$png" "file://$HTML" || {
    tail -n 20 "$ART/chromium.log"
    false
  }
  echo "# screenshot: $png" >&3
  run python3 "$PNG_INFO" "$png" --colour 1f6feb --colour e36209
  echo "$output"
  [ "$status" -eq 0 ]
  local info="$output"
  [ "$(json_get "$info" 'd["width"]')" -eq 1400 ]
  [ "$(json_get "$info" 'd["height"]')" -eq 6000 ]
  # Not one flat colour: text, tables and antialiased lines give hundreds of colours.
  [ "$(json_get "$info" 'd["colours"]')" -ge 100 ]
  # Bars of the first charts are painted in the series colours (bare metal, container).
  [ "$(json_get "$info" 'd["pixels_of"]["1f6feb"]')" -ge 500 ]
  [ "$(json_get "$info" 'd["pixels_of"]["e36209"]')" -ge 500 ]
}

@test "png_info: rejects a file that is not a PNG" {
  printf 'GIF89a not a png' >"$BATS_TEST_TMPDIR/fake.png"
  run python3 "$PNG_INFO" "$BATS_TEST_TMPDIR/fake.png"
  [ "$status" -eq 2 ]
  [[ "$output" == *"not a PNG"* ]]
}
