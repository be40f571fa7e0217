// zt-bench: measures a zerotask broker and node against a minimal reference broker
// in the same run. See docs/BENCHMARKS.md and `zt-bench -h`.
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench_run.hpp"
#include "options.hpp"
#include "reference_broker.hpp"
#include "reference_worker.hpp"
#include "zerotask/endpoint.hpp"

int main(int argc, char** argv) {
  using namespace zerotask::bench;
  CLI::App app("", "zt-bench");
  BenchOptions options;
  add_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version end here too, with exit code 0.
    int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }
  // Bind addresses as a broker prints them ("tcp://*:5555") are accepted too.
  options.broker = zerotask::connectable_endpoint(options.broker);
  options.events = zerotask::connectable_endpoint(options.events);
  try {
    if (!options.serve_reference_broker.empty())
      serve_reference_broker(options.serve_reference_broker, options.reference_window);
    if (!options.serve_reference_worker.empty()) serve_reference_worker(options.serve_reference_worker);
    Figures figures = run_bench(options);
    if (options.json) {
      std::cout << to_json(figures).dump() << std::endl;
    } else {
      print_table(std::cout, figures);
    }
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "zt-bench: error: " << error.what() << std::endl;
    return 1;
  }
}
