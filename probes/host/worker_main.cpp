// gpuval-probe-worker: runs one probe module's collectives() in a process of its own, so that
//  - settings NCCL reads once per process (NCCL_P2P_DISABLE, NCCL_DEBUG, ...) can differ per
//    pass: each pass is a fresh process with its own environment;
//  - a collective that hangs beyond the module's own timeouts, or a crash (SIGBUS on a full
//    /dev/shm), costs this process, never gpuval: the supervisor (probe_worker.hpp) kills it
//    when its heartbeat stops.
//
//   gpuval-probe-worker MODULE.so < request.json > answer.json
//
// The request goes to collectives() unchanged; its answer is written to stdout. The module's
// heartbeat (the request's progress_fd) is whatever fd the supervisor set up, 3 by convention.
// Exit 0 when the module answered (whatever the answer says), 2 on bad usage, 3 when the module
// cannot be loaded, 4 when it has no collectives() or answered nothing.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <string>

#include "probes/host/probe_loader.hpp"
#include "probes/probe_abi.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gpuval-probe-worker MODULE.so < request.json > answer.json\n");
    return 2;
  }
  // A supervisor that went away must not kill the module mid-call through a write.
  ::signal(SIGPIPE, SIG_IGN);
  const std::filesystem::path path(argv[1]);
  const std::string file = path.filename().string();
  const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
  const std::string id = "worker";
  const gpuval::ProbeModuleSpec spec{id, file, file};
  const gpuval::ProbeLoad load = gpuval::load_probe_module(spec, {dir});
  if (load.status != gpuval::ProbeLoadStatus::Loaded) {
    std::fprintf(stderr, "gpuval-probe-worker: %s: %s (%s)\n", argv[1], load.error.c_str(),
                 std::string(gpuval::to_string(load.status)).c_str());
    return 3;
  }
  if (gpuval_probe_module_has_collectives(load.module) == 0) {
    std::fprintf(stderr, "gpuval-probe-worker: %s has no collectives() entry point\n", argv[1]);
    return 4;
  }
  const std::string request((std::istreambuf_iterator<char>(std::cin)),
                            std::istreambuf_iterator<char>());
  // The first heartbeat: loaded, about to call (the module's own follow).
  if (::fcntl(3, F_GETFD) != -1) {
    const std::string line = "{\"step\": \"loaded\", \"module\": \"" + file + "\"}\n";
    [[maybe_unused]] const ssize_t n = ::write(3, line.data(), line.size());
  }
  char* answer = load.module->collectives(request.c_str());
  if (answer == nullptr) {
    std::fprintf(stderr, "gpuval-probe-worker: %s answered nothing (out of memory?)\n", argv[1]);
    return 4;
  }
  std::fputs(answer, stdout);
  const bool written = std::fflush(stdout) == 0;
  load.module->free_result(answer);
  // No static destructors and no library teardown after the answer: tearing down CUDA and NCCL
  // at exit can block (a context with work from an aborted communicator), and nothing is left
  // to release that the kernel does not reclaim.
  ::_exit(written ? 0 : 4);
}
