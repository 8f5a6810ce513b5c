#include "cli/app.hpp"

int main(int argc, char** argv) { return gpuval::cli::main(argc, argv); }
