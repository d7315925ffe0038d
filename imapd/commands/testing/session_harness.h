// Test support for the per-command tests: a real Session (the one imapd runs) over a
// loopback TCP connection made in-process, with a real LMDB store and directory in a
// temporary folder, and a small scripted client in the style of mox's imapclient:
//
//   SessionHarness h;                  // account alice@example.test, password "pw"
//   auto c = h.login();                // connected and logged in
//   c.transact("ok", "SELECT INBOX");  // sends "tN SELECT INBOX", expects "tN OK ..."
//   c.transact("bad", "FETCH 9 FLAGS");
//
// Every read has a deadline (a hung session fails the test instead of hanging it).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auth/directory.h"
#include "common/config.h"
#include "common/net/asio.h"
#include "store/mail_store.h"

namespace mail::imapd::testing {

inline constexpr std::string_view kUser = "alice@example.test";
inline constexpr std::string_view kPassword = "pw";

// The client end of one session.
class TestClient {
 public:
  explicit TestClient(int fd);
  TestClient(TestClient&& other) noexcept;
  TestClient& operator=(TestClient&&) = delete;
  ~TestClient();

  struct Reply {
    std::string status;                 // "OK", "NO", "BAD" (upper case)
    std::string tagged;                 // the whole tagged line, without CRLF
    std::vector<std::string> untagged;  // responses before it, literals inline
  };

  // Sends "tN <command>\r\n" and reads up to the tagged reply; a status other than
  // `expect` ("ok", "no", "bad", any case) fails the test. Returns the reply.
  Reply transact(std::string_view expect, std::string_view command);
  // Reads up to the tagged reply of the last command sent with send_command().
  Reply wait(std::string_view expect);
  // Sends "tN <text>" without CRLF handling: `text` must end with it.
  void send_command(std::string_view text_with_crlf);
  std::string next_tag() const { return "t" + std::to_string(n_ + 1); }

  void send(std::string_view raw);
  // One response line without CRLF (a literal's octets inline).
  std::string read_response();
  std::string read_line();
  // True if the server closes the connection within the timeout (nothing else read).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Whatever arrives within `wait`, without blocking longer.
  std::string pending(std::chrono::milliseconds wait = std::chrono::milliseconds(200));

  const std::string& greeting() const { return greeting_; }
  void read_greeting();

 private:
  bool fill(std::chrono::milliseconds timeout);
  int fd_ = -1;
  int n_ = 0;
  std::string buf_;
  std::string greeting_;
};

class SessionHarness {
 public:
  // `adjust` may change the imapd config before sessions start.
  explicit SessionHarness(void (*adjust)(Config&) = nullptr);
  ~SessionHarness();

  // Capability words sessions take as advertised besides the table (ImapContext::
  // assumed_capabilities), e.g. to reach IMAP4rev2 before every part of it exists.
  // Call before connect().
  void assume_capabilities(std::vector<std::string_view> words);

  // A new connection with a running Session; the greeting is read.
  TestClient connect();
  // connect() and LOGIN as kUser.
  TestClient login();

  store::MailStore& store() { return *store_; }
  auth::Directory& directory() { return *directory_; }
  Config& config() { return config_; }
  // Delivers a message straight into the store (as queued would); returns its UID.
  uint32_t deliver(std::string_view message, std::string_view mailbox = "INBOX",
                   uint32_t system_flags = 0);
  // The imapd process's resident memory is the test's: a helper to read it is in
  // the hostile integration tests, not here.

 private:
  std::filesystem::path dir_;
  Config config_;
  std::unique_ptr<store::MailStore> store_;
  std::unique_ptr<auth::Directory> directory_;
  net::asio::io_context io_;
  net::asio::thread_pool workers_{2};
  std::unique_ptr<net::asio::executor_work_guard<net::asio::io_context::executor_type>> guard_;
  net::tcp::acceptor acceptor_;
  std::thread loop_;
  struct Context;
  std::unique_ptr<Context> context_;
  std::vector<std::string_view> assumed_;
  int next_id_ = 0;
};

// A small RFC 5322 message with `tag` in its subject and Message-ID.
std::string make_message(std::string_view tag, size_t body_octets = 64);

}  // namespace mail::imapd::testing
