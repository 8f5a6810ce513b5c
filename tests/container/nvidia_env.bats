#!/usr/bin/env bats
# NVIDIA_VISIBLE_DEVICES and NVIDIA_DRIVER_CAPABILITIES set with -e: valid, empty, malformed.
# No GPU is injected, so every run ends no-gpu (exit 3); what differs is what the checks found.

load helpers

@test "NVIDIA_VISIBLE_DEVICES=0 (valid) but nothing injected: FAIL, requested 1, sees 0" {
  gpuval_container -e NVIDIA_VISIBLE_DEVICES=0
  assert_no_gpu
  assert_check nvidia-visible-devices FAIL 'nvidia.com/gpu'
  assert_doc 'checks[nvidia-visible-devices].metrics.raw' 0
  assert_doc 'checks[nvidia-visible-devices].metrics.whole_gpus_requested' 1
  assert_doc 'checks[nvidia-visible-devices].metrics.nodes_seen' 0
}

@test "NVIDIA_VISIBLE_DEVICES empty: WARN (no GPU requested), the verdict says so" {
  gpuval_container -e NVIDIA_VISIBLE_DEVICES=
  assert_no_gpu
  assert_check nvidia-visible-devices WARN 'empty'
  assert_doc 'checks[nvidia-visible-devices].metrics.mode' empty
  assert_doc_matches verdict.cause 'NVIDIA_VISIBLE_DEVICES is empty'
  assert_doc_matches verdict.hint 'NVIDIA_VISIBLE_DEVICES=all|nvidia.com/gpu=all'
}

@test "NVIDIA_VISIBLE_DEVICES=none: WARN, driver libraries only" {
  gpuval_container -e NVIDIA_VISIBLE_DEVICES=none
  assert_no_gpu
  assert_check nvidia-visible-devices WARN 'none'
  assert_doc 'checks[nvidia-visible-devices].metrics.mode' none
}

@test "NVIDIA_VISIBLE_DEVICES malformed: FAIL naming the bad token, no crash" {
  gpuval_container -e 'NVIDIA_VISIBLE_DEVICES=GPU-xyz,;0x'
  assert_no_gpu
  assert_check nvidia-visible-devices FAIL "'GPU-xyz'"
  assert_doc 'checks[nvidia-visible-devices].metrics.invalid.0.token' GPU-xyz
}

@test "NVIDIA_DRIVER_CAPABILITIES=compute,utility (valid): parsed, SKIP without a driver" {
  gpuval_container -e NVIDIA_DRIVER_CAPABILITIES=compute,utility
  assert_no_gpu
  assert_check driver-capabilities SKIP 'no driver injected'
  assert_doc 'checks[driver-capabilities].metrics.mode' list
  assert_doc_matches 'checks[driver-capabilities].metrics.requested' '"compute"'
  assert_doc_matches 'checks[driver-capabilities].metrics.requested' '"utility"'
}

@test "NVIDIA_DRIVER_CAPABILITIES empty: the default utility,compute is what counts" {
  gpuval_container -e NVIDIA_DRIVER_CAPABILITIES=
  assert_no_gpu
  assert_doc 'checks[driver-capabilities].metrics.raw' ''
  assert_doc 'checks[driver-capabilities].metrics.mode' default
  assert_doc_matches 'checks[driver-capabilities].metrics.requested' '"compute"'
  assert_doc_matches 'checks[driver-capabilities].metrics.requested' '"utility"'
}

@test "NVIDIA_DRIVER_CAPABILITIES malformed: the unknown token is recorded, no crash" {
  gpuval_container -e 'NVIDIA_DRIVER_CAPABILITIES=compute,bogus'
  assert_no_gpu
  assert_doc 'checks[driver-capabilities].metrics.unknown.0.token' bogus
}

@test "NVIDIA_DRIVER_CAPABILITIES malformed with a partial injection: WARN/FAIL names the token" {
  # nvidia-smi alone, as a half-done injection leaves it: the check looks at what is there.
  gpuval_container -v /bin/true:/usr/local/nvidia/bin/nvidia-smi:ro \
    -e 'NVIDIA_DRIVER_CAPABILITIES=utility,bogus'
  assert_no_gpu
  assert_check driver-capabilities FAIL "'bogus'"
  assert_doc_matches 'checks[driver-capabilities].message' 'libnvidia-ml\.so\.1'
}
