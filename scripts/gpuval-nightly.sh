#!/usr/bin/env bash
# gpuval nightly: run the host-side driver (or take documents collected elsewhere), file the run
# documents into the results history, compare tonight with the baseline, write JUnit, Prometheus
# and Markdown, and exit non-zero only on a real regression or a failed check. docs/nightly.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: gpuval-nightly.sh --history DIR [options] [-- gpuval-host.sh options]

Tonight's run: scripts/gpuval-host.sh runs gpuval on bare metal and in the container (options
after -- go to it, e.g. -- --image gpuval:latest --gpu-flags cdi --full) into a fresh staging
folder; or --ingest DIR takes run documents collected elsewhere (Kubernetes, Slurm nodes). The
documents are filed into the history (`gpuval history add`) and compared with their baselines
(`gpuval history check`): same host, GPU model and mode, never across GPU models.

Options:
  --history DIR       results history (required; or $GPUVAL_HISTORY); created when missing
  --ingest DIR        file the run documents under DIR instead of running the host driver
                      (repeatable), and check each host, GPU model and mode's latest night
  --baseline SPEC     median:N (the last N nights, default median:7) or pinned
  --alpha P           significance level for a regression (default 0.05)
  --min-effect X      smallest relative change that counts (default 0.02 = 2 %)
  --junit FILE        write JUnit XML (checks and regressions as test cases)
  --prom FILE         write Prometheus text format, atomically, e.g. into node_exporter's textfile
                      collector folder: /var/lib/prometheus/node-exporter/gpuval.prom
  --md FILE           write a Markdown summary
  --gpuval BIN        the gpuval binary for `gpuval history` (default: gpuval on PATH, else the
                      image's own, copied out by gpuval-host.sh --keep-prefix)
  --keep-staging DIR  copy tonight's host-driver output (host-facts.json, compare-*.md, run
                      documents) to DIR; the staging folder is removed otherwise
  --host-script PATH  the host driver to run (default: gpuval-host.sh next to this script)
  -h, --help          this text

Exit codes: 0 ok (no regression, no failed check; also the first night, without baseline);
1 a regression against the baseline or a failed check; 2 usage error, bad input, missing
prerequisite (engine, image, gpuval binary) or missing pinned baseline; 3 no usable GPU tonight
(unless something worse). JUnit and Prometheus files are written in every case.
USAGE
}

log() { echo "gpuval-nightly: $*" >&2; }

history="${GPUVAL_HISTORY:-}"
ingest=()
baseline="median:7"
alpha=""
min_effect=""
junit=""
prom=""
md=""
gpuval=""
keep_staging=""
host_script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/gpuval-host.sh"
host_args=()

# ---- outputs when gpuval history check cannot run -------------------------------------------
xml_text() {
  local s=$1
  s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\"/&quot;}
  printf '%s' "$s"
}

write_atomically() {  # write_atomically FILE < content: temp file in the same folder + rename
  # /dev/null, a FIFO: written into, never replaced (mv would replace the device node itself).
  if [ -e "$1" ] && [ ! -f "$1" ] && [ ! -d "$1" ]; then
    cat >"$1"
    return
  fi
  local tmp
  tmp="$(mktemp "$(dirname "$1")/.$(basename "$1").tmp.XXXXXX")"
  cat >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$1"
}

# Filing failed after history check wrote its outputs: exit code 2 in Prometheus, and an error
# test case in JUnit.
mark_filing_error() {  # mark_filing_error MESSAGE
  if [ -n "$prom" ] && [ -f "$prom" ]; then
    sed 's/^gpuval_nightly_exit_code .*/gpuval_nightly_exit_code 2/' "$prom" | write_atomically "$prom" || true
  fi
  if [ -n "$junit" ] && [ -f "$junit" ]; then
    python3 - "$junit" "$1" <<'PY' | write_atomically "$junit" || true
import sys, xml.etree.ElementTree as ET
tree = ET.parse(sys.argv[1]); root = tree.getroot()
suite = ET.SubElement(root, "testsuite", name="filing", tests="1", failures="0", errors="1", skipped="0", time="0")
case = ET.SubElement(suite, "testcase", classname="gpuval.nightly", name="history add", time="0")
ET.SubElement(case, "error", type="filing", message=sys.argv[2]).text = sys.argv[2]
for key in ("tests", "errors"):
    root.set(key, str(int(root.get(key, "0")) + 1))
sys.stdout.write('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
PY
  fi
}

# The nightly itself could not run: monitoring and CI still learn why (and stale series vanish).
fail_early() {  # fail_early CODE MESSAGE
  local code=$1 msg=$2
  log "$msg"
  if [ -n "$prom" ] && [ -d "$(dirname "$prom")" ]; then
    write_atomically "$prom" <<PROM || true
# HELP gpuval_nightly_exit_code Exit code of the last nightly check: 0 ok, 1 regression or failed check, 2 bad input or missing baseline, 3 no usable GPU.
# TYPE gpuval_nightly_exit_code gauge
gpuval_nightly_exit_code $code
# HELP gpuval_nightly_timestamp_seconds When the last nightly check ran (Unix time); alert when it gets old.
# TYPE gpuval_nightly_timestamp_seconds gauge
gpuval_nightly_timestamp_seconds $(date +%s)
PROM
  fi
  if [ -n "$junit" ] && [ -d "$(dirname "$junit")" ]; then
    write_atomically "$junit" <<XML || true
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="gpuval-nightly" tests="1" failures="0" errors="1" skipped="0">
  <testsuite name="nightly" tests="1" failures="0" errors="1" skipped="0" time="0">
    <testcase classname="gpuval.nightly" name="nightly" time="0">
      <error type="nightly" message="$(xml_text "$msg")">$(xml_text "$msg")</error>
    </testcase>
  </testsuite>
</testsuites>
XML
  fi
  exit "$code"
}

die() { fail_early 2 "$* (see --help)"; }
need_value() { [ "$2" -ge 2 ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --history) need_value "$1" $#; history="$2"; shift 2 ;;
    --ingest) need_value "$1" $#; ingest+=("$2"); shift 2 ;;
    --baseline) need_value "$1" $#; baseline="$2"; shift 2 ;;
    --alpha) need_value "$1" $#; alpha="$2"; shift 2 ;;
    --min-effect) need_value "$1" $#; min_effect="$2"; shift 2 ;;
    --junit) need_value "$1" $#; junit="$2"; shift 2 ;;
    --prom) need_value "$1" $#; prom="$2"; shift 2 ;;
    --md) need_value "$1" $#; md="$2"; shift 2 ;;
    --gpuval) need_value "$1" $#; gpuval="$2"; shift 2 ;;
    --keep-staging) need_value "$1" $#; keep_staging="$2"; shift 2 ;;
    --host-script) need_value "$1" $#; host_script="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; host_args=("$@"); break ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[ -n "$history" ] || die "--history DIR is required (or set GPUVAL_HISTORY)"
if [ "${#ingest[@]}" -gt 0 ] && [ "${#host_args[@]}" -gt 0 ]; then
  die "--ingest takes documents collected elsewhere: gpuval-host.sh options after -- do not apply"
fi
for d in "${ingest[@]+"${ingest[@]}"}"; do
  [ -d "$d" ] || fail_early 2 "--ingest $d: no such folder"
done
mkdir -p "$history" || fail_early 2 "cannot create the history folder $history"

if [ -n "$gpuval" ]; then
  [ -x "$gpuval" ] || fail_early 2 "--gpuval $gpuval is not an executable file"
elif command -v gpuval >/dev/null 2>&1; then
  gpuval="$(command -v gpuval)"
elif [ "${#ingest[@]}" -gt 0 ]; then
  fail_early 2 "no gpuval binary: pass --gpuval BIN or put gpuval on PATH"
fi

staging="$(mktemp -d "${TMPDIR:-/tmp}/gpuval-nightly.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

# ---- tonight's documents --------------------------------------------------------------------
inputs=()
if [ "${#ingest[@]}" -gt 0 ]; then
  inputs=("${ingest[@]}")
else
  [ -x "$host_script" ] || fail_early 2 "host driver $host_script not found or not executable"
  args=(--results "$staging/runs")
  # Without a gpuval on this host, `gpuval history` runs from the image's own binaries.
  [ -n "$gpuval" ] || args+=(--keep-prefix "$staging/prefix")
  log "running $host_script ${args[*]} ${host_args[*]+"${host_args[*]}"}"
  set +e
  "$host_script" "${args[@]}" "${host_args[@]+"${host_args[@]}"}"
  host_rc=$?
  set -e
  log "host driver exit $host_rc"
  if [ -z "$gpuval" ]; then
    [ -x "$staging/prefix/bin/gpuval" ] ||
      fail_early 2 "no gpuval binary: the host driver did not copy the image's (exit $host_rc); pass --gpuval BIN"
    gpuval="$staging/prefix/bin/gpuval"
  fi
  if [ -z "$(find "$staging/runs" -name '*.json' ! -name 'host-facts.json' 2>/dev/null | head -n1)" ]; then
    fail_early 2 "the host driver wrote no run document (exit $host_rc): see its messages above"
  fi
  inputs=("$staging/runs")
  if [ -n "$keep_staging" ]; then
    if ! { mkdir -p "$keep_staging" && cp -a "$staging/runs/." "$keep_staging/"; }; then
      log "could not copy the staging folder to $keep_staging (continuing)"
    fi
  fi
fi

# ---- file, then check -----------------------------------------------------------------------
set +e
"$gpuval" history add --history "$history" "${inputs[@]}"
add_rc=$?
set -e
[ "$add_rc" = 0 ] || log "history add exit $add_rc: some documents were not filed (see above)"

# --latest: an --ingest folder may collect every night's documents; tonight is each host, GPU
# model and mode's latest night (a node that stopped reporting shows its last run: alert on the
# age of gpuval_run_timestamp_seconds).
check=(history check --history "$history" --baseline "$baseline" --latest)
[ -z "$alpha" ] || check+=(--alpha "$alpha")
[ -z "$min_effect" ] || check+=(--min-effect "$min_effect")
[ -z "$junit" ] || check+=(--junit "$junit")
[ -z "$prom" ] || check+=(--prom "$prom")
[ -z "$md" ] || check+=(--md "$md")
set +e
"$gpuval" "${check[@]}" "${inputs[@]}"
rc=$?
set -e
# A document that could not be filed is bad input even when it checked fine; the Prometheus and
# JUnit files history check wrote must say so too, or monitoring would see a clean night.
if [ "$add_rc" != 0 ] && [ "$rc" != 2 ]; then
  rc=2
  mark_filing_error "history add exit $add_rc: some documents were not filed (see the nightly's log)"
fi
log "done (exit $rc)"
exit "$rc"
