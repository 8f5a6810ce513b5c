#!/usr/bin/env bats
# Smoke run of the history-index benchmark (scripts/bench-history.sh) at a tiny size with the
# binaries under test: documents generated, indexed, reported over both ways (identical), one
# night added and checked, an index populated from summaries and reported over. The real
# figures (100,000 documents, 1,000,000 runs) come from a Release build; see docs/report.md.
# GPUVAL and GPUVAL_SOURCE_DIR come from CTest.

setup() { TMP="$(mktemp -d)"; }
teardown() { rm -rf "$TMP"; }

@test "bench-history.sh runs end to end and records every measurement" {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  local bin
  bin="$(dirname "$(dirname "$GPUVAL")")"
  [ -x "$bin/tests/perf/gpuval_index_bench" ]
  run "$GPUVAL_SOURCE_DIR/scripts/bench-history.sh" --bin "$bin" --work "$TMP/w" --nodes 4 \
    --nights 5 --populate-nodes 4 --populate-nights 12
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"the reports over the index and over the documents are identical"* ]]
  python3 - "$TMP/w/measurements.jsonl" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
labels = [r["label"] for r in records]
expected = ["reindex 40 documents (cold)", "report over the documents (warm)",
            "report over the documents (cold)", "report over the index (warm)",
            "report over the index (cold)", "history add one night (8 documents)",
            "history check one night, index", "populate 96 runs from summaries",
            "report over 96 indexed runs (warm)", "report over 96 indexed runs (cold)"]
assert labels == expected, labels
for r in records:
    assert r["wall_s"] > 0 and r["max_rss_mib"] > 0, r
    assert r["rc"] == 0 or r["label"].startswith("history check"), r
PY
  grep -q '^\*\*96 runs\*\*' "$TMP/w/big.md"
}
