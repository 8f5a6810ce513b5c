// SIGINT/SIGTERM handling for long runs: the handler only sets a flag; work loops poll it between
// steps and stop, and the run writes the document it has so far (verdict "interrupted").
#pragma once

namespace gpuval {

void install_interrupt_handlers();
bool interrupted();
int interrupt_signal();  // the signal received, 0 if none

}  // namespace gpuval
