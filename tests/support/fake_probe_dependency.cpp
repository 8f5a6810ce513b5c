// A library that a fake probe module links but that is never found at run time: what a missing
// libcudnn.so.9 looks like to the loader.
extern "C" int gpuval_fake_probe_dependency(void) { return 42; }
