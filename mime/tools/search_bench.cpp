// search_bench DIR [KEY]: reads every *.eml in DIR (e.g. made by ../shared/peers/
// gen-messages), then measures, single-threaded:
//   analyze()            MB/s and messages/s, and the summary blob size (mean, median, max);
//   SEARCH TEXT KEY      MB/s over all messages with their summaries (the UID SEARCH TEXT
//                        work imapd does per message), and how many matched;
//   SEARCH BODY KEY      the same for BODY.
// KEY defaults to "zephyranthes" (gen-messages puts it in every 100th message).
// Not a test: it prints figures, it asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mime/search.h"
#include "mime/summary.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: search_bench DIR [KEY]\n");
    return 2;
  }
  std::string key = argc > 2 ? argv[2] : "zephyranthes";
  std::vector<std::string> messages;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(argv[1]))
    if (e.path().extension() == ".eml") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  size_t total = 0;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    messages.push_back(s.str());
    total += messages.back().size();
  }
  const double mb = total / 1e6;
  std::printf("%zu messages, %.1f MB\n", messages.size(), mb);

  auto t = Clock::now();
  std::vector<mail::mime::MessageSummary> summaries;
  summaries.reserve(messages.size());
  for (const auto& m : messages) summaries.push_back(mail::mime::analyze(m));
  double dt = seconds_since(t);
  std::printf("analyze:      %.3f s, %.0f MB/s, %.0f messages/s\n", dt, mb / dt,
              messages.size() / dt);

  std::vector<size_t> sizes;
  size_t blob_total = 0;
  for (const auto& s : summaries) {
    sizes.push_back(mail::mime::encode_summary(s).size());
    blob_total += sizes.back();
  }
  std::sort(sizes.begin(), sizes.end());
  if (!sizes.empty())
    std::printf("summary blob: mean %zu B, median %zu B, max %zu B (%.2f %% of the messages)\n",
                blob_total / sizes.size(), sizes[sizes.size() / 2], sizes.back(),
                100.0 * blob_total / total);

  mail::mime::TextMatcher matcher(key);
  for (int round = 0; round < 3; ++round) {
    t = Clock::now();
    size_t hits = 0;
    for (size_t i = 0; i < messages.size(); ++i)
      hits += mail::mime::message_text_contains(messages[i], summaries[i], matcher);
    dt = seconds_since(t);
    std::printf("SEARCH TEXT %s: %zu matches, %.3f s, %.0f MB/s\n", key.c_str(), hits, dt, mb / dt);
  }
  t = Clock::now();
  size_t hits = 0;
  for (size_t i = 0; i < messages.size(); ++i)
    hits += mail::mime::message_body_contains(messages[i], summaries[i], matcher);
  dt = seconds_since(t);
  std::printf("SEARCH BODY %s: %zu matches, %.3f s, %.0f MB/s\n", key.c_str(), hits, dt, mb / dt);
  return 0;
}
