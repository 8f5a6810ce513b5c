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
