#!/usr/bin/env bats
# Where the run document goes: a writable /results gets it, a read-only one or none leaves the
# output on stdout, --read-only root filesystems work, and an explicit unwritable --out is a
# usage error (exit 2) reported before any work.

load helpers

@test "--read-only with a writable /results: the document is written, complete and valid" {
  gpuval_container --read-only
  assert_no_gpu
}

@test "--read-only with /results mounted read-only: no document, said on stderr, still exit 3" {
  run podman run --rm --network=none --read-only -v "$RESULTS:/results:ro,Z" "$IMAGE"
  assert_exit 3
  [ -z "$(ls "$RESULTS")" ] || fail_with "files written to a read-only mount"
  grep -q '/results is not writable' <<<"$output" || fail_with "no note about /results"
  grep -Eqi 'no usable GPU|no-gpu' <<<"$output" || fail_with "no verdict on stdout"
}

@test "--read-only with no /results volume at all: the table on stdout, exit 3" {
  run podman run --rm --network=none --read-only --image-volume=ignore "$IMAGE"
  assert_exit 3
  grep -Eqi 'no usable GPU|no-gpu' <<<"$output" || fail_with "no verdict on stdout"
}

@test "/results owned by root 0755: not writable by uid 1000, a note says how to fix it" {
  chmod 0755 "$RESULTS"
  gpuval_container
  assert_exit 3
  [ -z "$DOC" ] || fail_with "document written to an unwritable directory"
  grep -q 'uid 1000' <<<"$output" || fail_with "the note does not name uid 1000"
}

@test "explicit --out into a read-only /results: exit 2 before any work, naming the path" {
  run podman run --rm --network=none -v "$RESULTS:/results:ro,Z" "$IMAGE" \
    run --out /results/run.json
  assert_exit 2
  grep -q '/results/run.json' <<<"$output" || fail_with "the message does not name the path"
}

@test "--json: the document on stdout is the one written to /results" {
  gpuval_container -- validate --json
  assert_exit 3
  assert_document
  stdout_id=$(python3 "$DOCQ" - run.id <<<"$output") || fail_with "stdout is not the document"
  [ "$stdout_id" = "$(doc run.id)" ] || fail_with "different run ids"
  assert_doc run.command validate
}

@test "no -v: the document goes to the anonymous volume, still written; gpuval says it is not kept and how to keep it" {
  name="gpuval-anon-volume-$$-$BATS_TEST_NUMBER"
  # No --rm, so the anonymous volume can be looked into afterwards.
  run podman run --name "$name" --network=none "$IMAGE"
  volume=$(podman inspect "$name" --format '{{range .Mounts}}{{if eq .Destination "/results"}}{{.Source}}{{end}}{{end}}')
  found=$(find "$volume" -maxdepth 1 -name 'gpuval-run-*.json' 2>/dev/null | head -n 1)
  valid=0
  if [ -n "$found" ]; then python3 "$SOURCE_DIR/scripts/validate_run_document.py" "$found" || valid=1; fi
  podman rm -v "$name" >/dev/null
  assert_exit 3
  grep -q 'run document: /results/gpuval-run-' <<<"$output" || fail_with "no 'run document:' line"
  grep -q 'NOT kept' <<<"$output" || fail_with "no note that the document was not kept"
  grep -q '/results is an anonymous volume' <<<"$output" || fail_with "the note does not say why"
  grep -qF -- '-v ./results:/results:Z' <<<"$output" || fail_with "the note does not say how to keep it"
  grep -qF -- '--json' <<<"$output" || fail_with "the note does not mention --json"
  [ -n "$found" ] || fail_with "the document was not written into the anonymous volume ($volume)"
  [ "$valid" -eq 0 ] || fail_with "$found is not a valid run document"
}

@test "--image-volume=ignore: /results is the container's own directory; the note says so" {
  run podman run --rm --network=none --image-volume=ignore "$IMAGE"
  assert_exit 3
  grep -q 'run document: /results/gpuval-run-' <<<"$output" || fail_with "no 'run document:' line"
  grep -q 'NOT kept: /results is not a mounted volume' <<<"$output" ||
    fail_with "no note that the document stays inside the container"
  grep -qF -- '-v ./results:/results:Z' <<<"$output" || fail_with "the note does not say how to keep it"
}

@test "a bind mount at /results keeps the document: no 'not kept' note" {
  gpuval_container
  assert_no_gpu
  grep -q "run document: /results/$(basename "$DOC")" <<<"$output" ||
    fail_with "the 'run document:' line does not name the file in the mount"
  if grep -q 'NOT kept' <<<"$output"; then fail_with "'not kept' note shown for a bind mount"; fi
}

@test "a named volume at /results keeps the document: no 'not kept' note" {
  volume="gpuval-named-results-$$-$BATS_TEST_NUMBER"
  podman volume create "$volume" >/dev/null
  run podman run --rm --network=none -v "$volume:/results" "$IMAGE"
  kept=$(podman run --rm --network=none -v "$volume:/results" --entrypoint /bin/sh "$IMAGE" \
    -c 'ls /results/gpuval-run-*.json 2>/dev/null | wc -l')
  podman volume rm "$volume" >/dev/null
  assert_exit 3
  grep -q 'run document: /results/gpuval-run-' <<<"$output" || fail_with "no 'run document:' line"
  if grep -q 'NOT kept' <<<"$output"; then fail_with "'not kept' note shown for a named volume"; fi
  [ "$kept" -eq 1 ] || fail_with "the named volume holds $kept documents, expected 1"
}
