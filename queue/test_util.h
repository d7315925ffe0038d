// Test helpers for the queue tests: a scratch directory removed at the end, a message
// builder, and short forms of common spool calls. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "queue/lmdb/lmdb_spool.h"
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

inline std::unique_ptr<Spool> open_spool_in(const TempDir& dir) {
  auto s = open_lmdb_spool(dir.path());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(s).value();
}

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

inline std::vector<std::string> ids_of(const std::vector<Envelope>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.id);
  return out;
}

inline std::vector<std::string> ids_of(const std::vector<Claim>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.envelope.id);
  return out;
}

// Claims what is due at `now` (lease 60 s) and returns the ids, in claim order.
inline std::vector<std::string> claim_ids(Spool& spool, int64_t now, size_t limit = 100) {
  auto claims = spool.claim(now, 60, limit);
  EXPECT_TRUE(claims.ok()) << (claims.ok() ? "" : claims.error().message);
  return claims.ok() ? ids_of(*claims) : std::vector<std::string>{};
}

}  // namespace mail::queue::testing
