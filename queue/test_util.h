// Test helpers for the queue tests: a scratch directory removed at the end, and a
// message builder. Test-only.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "queue/spool.h"

namespace mail::queue::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "queue-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline NewMessage make_message(std::string sender, std::vector<std::string> rcpts,
                               int64_t next_attempt = 0,
                               std::string content = "Subject: hi\r\n\r\nbody\r\n") {
  NewMessage m;
  m.envelope.sender = std::move(sender);
  for (auto& address : rcpts) {
    Recipient r;
    r.address = std::move(address);
    m.envelope.recipients.push_back(std::move(r));
  }
  m.envelope.arrival = 1700000000;
  m.envelope.next_attempt = next_attempt;
  m.envelope.session_id = "S1";
  m.content = std::move(content);
  return m;
}

}  // namespace mail::queue::testing
