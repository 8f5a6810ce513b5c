#!/usr/bin/env bats
# End-to-end: the Grafana dashboard (scripts/nightly/gpuval-grafana-dashboard.json) queries only
# metrics and labels gpuval writes. The names come from real output: a generated history with a
# regression, a failed check, a slow node and a node that stopped reporting, filed and checked
# by the gpuval under test (`history check --prom`). tests/support/promql_check.py parses every
# PromQL expression of the dashboard; with promtool (Debian package prometheus) each also goes
# through Prometheus's parser and is evaluated against that output.
# GPUVAL and GPUVAL_SOURCE_DIR come from CTest.

setup_file() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  export DASHBOARD="$GPUVAL_SOURCE_DIR/scripts/nightly/gpuval-grafana-dashboard.json"
  export CHECK="$GPUVAL_SOURCE_DIR/tests/support/promql_check.py"
  export PROM="$BATS_FILE_TMPDIR/gpuval.prom"
  local gen="$BATS_FILE_TMPDIR/gen" hist="$BATS_FILE_TMPDIR/history"
  python3 "$GPUVAL_SOURCE_DIR/tests/support/gen_history.py" "$gen" --nights 6 \
    --regress gpu-h100-02:stream-triad:5:0.85 --fail-check gpu-a100-01:shm:5 \
    --slow-node gpu-h100-03:gemm-bf16:0.8 2>/dev/null
  mkdir -p "$BATS_FILE_TMPDIR/earlier" "$BATS_FILE_TMPDIR/tonight"
  mv "$gen"/*_2026-10-06_*.json "$BATS_FILE_TMPDIR/tonight/"
  mv "$gen"/*.json "$BATS_FILE_TMPDIR/earlier/"
  rm "$BATS_FILE_TMPDIR/tonight"/gpu-a100-02_*  # gone quiet
  "$GPUVAL" history add --history "$hist" "$BATS_FILE_TMPDIR/earlier" >/dev/null
  "$GPUVAL" history add --history "$hist" "$BATS_FILE_TMPDIR/tonight" >/dev/null
  "$GPUVAL" history check --history "$hist" "$BATS_FILE_TMPDIR/tonight" --prom "$PROM" \
    >/dev/null || true
}

setup() { TMP="$(mktemp -d)"; }
teardown() { rm -rf "$TMP"; }

need_promtool() {
  command -v promtool >/dev/null ||
    skip "promtool not installed (Debian package prometheus): PromQL not parsed by Prometheus"
}

@test "the textfile gpuval wrote has what the dashboard shows" {
  grep -q '^gpuval_benchmark_regression{.*} 1$' "$PROM"
  grep -q '^gpuval_check_status{.*status="FAIL"} 1$' "$PROM"
  grep -q '^gpuval_last_run_timestamp_seconds{host="gpu-a100-02",' "$PROM"
}

@test "every metric and label the dashboard queries is one gpuval writes" {
  run python3 "$CHECK" "$DASHBOARD" "$PROM"
  echo "$output"
  [ "$status" -eq 0 ]
  # It looked at every panel's queries and the template variables.
  local targets
  targets="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(p.get("targets", [])) for p in d["panels"]))' "$DASHBOARD")"
  [ "$(grep -c '^checked panel' <<<"$output")" = "$targets" ]
  [ "$(grep -c '^checked variable' <<<"$output")" = 3 ]
}

@test "Prometheus parses every expression and each returns data from gpuval's output" {
  need_promtool
  run python3 "$CHECK" "$DASHBOARD" "$PROM" --promtool
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "the check catches a dashboard that drifted from what gpuval writes" {
  local mutation
  while IFS='|' read -r from to why; do
    sed "s/$from/$to/" "$DASHBOARD" >"$TMP/d.json"
    ! cmp -s "$TMP/d.json" "$DASHBOARD" || { echo "mutation '$from' changed nothing"; false; }
    run python3 "$CHECK" "$TMP/d.json" "$PROM"
    [ "$status" -eq 1 ] || { echo "not caught: $why"; false; }
    [[ "$output" == *"PROBLEM"*"$why"* ]] || { echo "$output"; false; }
  done <<'EOF'
gpuval_regressions{|gpuval_regression_count{|metric gpuval_regression_count is not written by gpuval
status=\\"FAIL\\"|status=\\"FAILED\\"|matches nothing gpuval wrote
sum by (check)|sum by (check_id)|label 'check_id' is on none of gpuval_check_status
{{host}} {{mode}} {{check}}|{{node}} {{check}}|label 'node' is on none of gpuval_check_status
label_values(gpuval_last_run_timestamp_seconds, model)|label_values(gpuval_last_run_timestamp_seconds, gpu_model)|has no label 'gpu_model'
max(gpuval_nightly_exit_code)|max(gpuval_nightly_exit_code{|unfinished expression
EOF
}

@test "the dashboard is importable: unique panel ids, a Prometheus datasource variable, no fixed datasource" {
  python3 - "$DASHBOARD" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
panels = d["panels"]
ids = [p["id"] for p in panels]
assert len(ids) == len(set(ids)), ids
assert d["uid"] == "gpuval-fleet" and d["schemaVersion"] >= 36
names = {v["name"]: v for v in d["templating"]["list"]}
assert names["datasource"]["type"] == "datasource" and names["datasource"]["query"] == "prometheus"
for p in panels:
    if p["type"] == "row":
        continue
    assert p["datasource"]["uid"] == "${datasource}", p["title"]
    assert p["targets"], p["title"]
    for t in p["targets"]:
        assert t["datasource"]["uid"] == "${datasource}", p["title"]
    g = p["gridPos"]
    assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0, p["title"]
titles = " ".join(p["title"] for p in panels).lower()
for topic in ("fraction of peak", "regress", "failed checks", "stale"):
    assert topic in titles, topic
PY
}
