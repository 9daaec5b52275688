// Seeded mutation fuzzing of the two readers of untrusted input: the scan
// config parser and the scan-file reader (summarise, as `info` reads a file,
// and verifyScanFile, as `merge` and `--resume` do). Every mutant must give
// a result or an InputError / IoError (the CLI's one line, exit 2 or 1):
// any other exception fails the test, and a crash takes the test down.
//
// Each loop runs for PORTALSCAN_FUZZ_SECONDS (default 2 s) from the seed
// PORTALSCAN_FUZZ_SEED (default 1), so CI runs the same inputs every time;
// the figures in docs/reliability.md come from longer runs with other seeds.

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/engine/JsonText.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace portalscan::scanner {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double fuzzSeconds() {
  const char* s = std::getenv("PORTALSCAN_FUZZ_SECONDS");
  return s ? std::atof(s) : 2.0;
}

std::uint64_t fuzzSeed() {
  const char* s = std::getenv("PORTALSCAN_FUZZ_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 1;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A folder of this test process's own, removed at the end.
class Scratch {
 public:
  explicit Scratch(const std::string& name)
      : dir_(fs::temp_directory_path() /
             ("portalscan-fuzz-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

/// Mutations of a byte string: bit flips, byte values at the edges of their
/// ranges, runs copied from elsewhere in the input, cuts and insertions.
class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  std::string mutate(std::string s, const std::vector<std::string>& tokens) {
    const int n = 1 + static_cast<int>(below(8));
    for (int m = 0; m < n && !s.empty(); ++m) {
      const std::size_t at = below(s.size());
      switch (below(tokens.empty() ? 6 : 7)) {
        case 0:
          s[at] = static_cast<char>(s[at] ^ (1 << below(8)));
          break;
        case 1: {
          static const unsigned char edges[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
          s[at] = static_cast<char>(edges[below(6)]);
          break;
        }
        case 2:
          s[at] = static_cast<char>(below(256));
          break;
        case 3: {  // a run of bytes copied over another place
          const std::size_t from = below(s.size());
          const std::size_t len = std::min<std::size_t>(1 + below(64), s.size() - from);
          s.replace(at, std::min(len, s.size() - at), s.substr(from, len));
          break;
        }
        case 4:  // cut the input short
          s.resize(at);
          break;
        case 5:  // delete a run
          s.erase(at, 1 + below(16));
          break;
        case 6:  // insert a token (numbers at their limits, brackets, quotes)
          s.insert(at, tokens[below(tokens.size())]);
          break;
      }
    }
    return s;
  }
  std::size_t below(std::size_t n) {
    return n ? std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_) : 0;
  }

 private:
  std::mt19937_64 rng_;
};

/// Runs `attempt` on mutants of `seeds` until the time is up; true per mutant that was
/// accepted. Any exception other than InputError / IoError is a failure.
template <class Attempt>
void fuzz(const char* what, const std::vector<std::string>& seeds,
          const std::vector<std::string>& tokens, const Attempt& attempt) {
  Mutator mutator(fuzzSeed());
  const auto deadline = Clock::now() + std::chrono::duration<double>(fuzzSeconds());
  std::uint64_t tried = 0, accepted = 0, refused = 0;
  while (Clock::now() < deadline) {
    const std::string input = mutator.mutate(seeds[mutator.below(seeds.size())], tokens);
    ++tried;
    try {
      attempt(input);
      ++accepted;
    } catch (const InputError&) {
      ++refused;
    } catch (const IoError&) {
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": mutant " << tried << " (seed " << fuzzSeed()
                    << ") threw something other than an input or I/O error: " << e.what();
      return;
    }
  }
  std::cout << "[ fuzz     ] " << what << ": " << tried << " inputs (" << accepted << " accepted, "
            << refused << " refused), seed " << fuzzSeed() << ", crashes: 0\n";
  EXPECT_GT(tried, 0u);
}

TEST(Fuzz, ConfigParser) {
  const fs::path scans = fs::path(PORTALSCAN_SOURCE_DIR) / "scans";
  std::vector<std::string> seeds;
  for (const char* name :
       {"quickstart.json", "hidden_kev_fermion_paper.json", "lfv_nsi_paper.json"})
    seeds.push_back(readText(scans / name));
  seeds.push_back(R"({"model": "lfv_nsi", "sampler": {"kind": "sobol", "points": 100, "seed": 3},
    "parameters": {"m_Zprime": {"range": [1e-3, 1], "scale": "log"}, "g_psi": 0.1},
    "constraints": [{"name": "mu_to_e_gamma", "variant": "current"}, "bbn_neff"],
    "output": {"keep": "allowed", "chunk_points": 64, "observables": "all"}})");
  const std::vector<std::string> tokens = {"1e999",
                                           "-1",
                                           "0",
                                           "18446744073709551616",
                                           "9223372036854775807",
                                           "null",
                                           "true",
                                           "[",
                                           "]",
                                           "{",
                                           "}",
                                           "\"",
                                           ",",
                                           ":",
                                           "\"points\": ",
                                           "\"range\": [1, 0]",
                                           "\"scale\": \"log\"",
                                           "\"equal_to\": \"f_L\"",
                                           std::string(70, '['),
                                           "\\u0000",
                                           "\"\\n\""};
  fuzz("config parser", seeds, tokens, [&](const std::string& text) {
    const auto json = parseJsonText(text, "fuzz.json");
    parseConfig(json, "fuzz.json", scans);
  });
}

TEST(Fuzz, ScanFileReading) {
  const Scratch scratch("file");
  // A small scan of both kinds of column (keep all, two constraints) in 6 chunks.
  const ScanConfig config = parseConfig(nlohmann::ordered_json::parse(R"({
    "model": "hidden_kev_fermion",
    "parameters": {"M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 12},
                   "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 8}},
    "output": {"chunk_points": 16, "path": "seed.h5"}})"),
                                        "fuzz.json");
  const std::string seedPath = (scratch.dir() / "seed.h5").string();
  {
    ScanWriter writer(config, seedPath, false, Subset{});
    execute(config, allChunks(config), writer, nullptr);
    writer.finish();
  }
  const std::vector<std::string> seeds = {readText(seedPath)};
  const std::string path = (scratch.dir() / "mutant.h5").string();
  fuzz("scan-file reading", seeds, {}, [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    // Both readers see every mutant: the first one's refusal does not spare the second.
    bool refused = false;
    try {
      summarise(path);
    } catch (const InputError&) {
      refused = true;
    } catch (const IoError&) {
      refused = true;
    }
    verifyScanFile(path, config, false);
    if (refused) throw InputError("refused by summarise");
  });
}

}  // namespace
}  // namespace portalscan::scanner
