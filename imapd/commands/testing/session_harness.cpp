// SessionHarness and TestClient; see session_harness.h.
#include "imapd/commands/testing/session_harness.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <regex>

#include "imapd/change_hub.h"
#include "imapd/session.h"
#include "store/notify.h"
#include "store/open_store.h"

namespace mail::imapd::testing {
namespace {

constexpr auto kReadTimeout = std::chrono::seconds(10);

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return s;
}

}  // namespace

// --- TestClient ----------------------------------------------------------------------

TestClient::TestClient(int fd) : fd_(fd) {}

TestClient::TestClient(TestClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      n_(other.n_),
      buf_(std::move(other.buf_)),
      greeting_(std::move(other.greeting_)) {}

TestClient::~TestClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestClient::fill(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf_.append(chunk, static_cast<size_t>(n));
  return true;
}

void TestClient::send(std::string_view raw) {
  while (!raw.empty()) {
    ssize_t n = ::send(fd_, raw.data(), raw.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      ADD_FAILURE() << "send failed: the server closed the connection";
      return;
    }
    raw.remove_prefix(static_cast<size_t>(n));
  }
}

std::string TestClient::read_line() {
  for (;;) {
    size_t crlf = buf_.find("\r\n");
    if (crlf != std::string::npos) {
      std::string line = buf_.substr(0, crlf);
      buf_.erase(0, crlf + 2);
      return line;
    }
    if (!fill(kReadTimeout)) {
      ADD_FAILURE() << "no complete line from the server; unread: " << buf_;
      return {};
    }
  }
}

std::string TestClient::read_response() {
  static const std::regex kLiteral(R"(\{(\d+)\}$)");
  std::string line = read_line();
  std::smatch m;
  while (std::regex_search(line, m, kLiteral)) {
    const size_t n = std::stoul(m[1].str());
    while (buf_.size() < n)
      if (!fill(kReadTimeout)) {
        ADD_FAILURE() << "literal cut short";
        return line;
      }
    line += "\r\n" + buf_.substr(0, n);
    buf_.erase(0, n);
    line += read_line();
  }
  return line;
}

void TestClient::read_greeting() {
  greeting_ = read_line();
}

void TestClient::send_command(std::string_view text_with_crlf) {
  ++n_;
  send("t" + std::to_string(n_) + " ");
  send(text_with_crlf);
}

TestClient::Reply TestClient::wait(std::string_view expect) {
  const std::string tag = "t" + std::to_string(n_) + " ";
  Reply reply;
  for (;;) {
    std::string line = read_response();
    if (line.empty() && buf_.empty()) {
      ADD_FAILURE() << "no tagged reply for " << tag;
      return reply;
    }
    if (line.rfind(tag, 0) == 0) {
      reply.tagged = line;
      reply.status = line.substr(tag.size(), line.find(' ', tag.size()) - tag.size());
      break;
    }
    reply.untagged.push_back(std::move(line));
  }
  EXPECT_EQ(reply.status, upper(std::string(expect))) << reply.tagged;
  return reply;
}

TestClient::Reply TestClient::transact(std::string_view expect, std::string_view command) {
  send_command(std::string(command) + "\r\n");
  return wait(expect);
}

bool TestClient::closed_by_server(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
    buf_.append(chunk, static_cast<size_t>(n));
  }
}

std::string TestClient::pending(std::chrono::milliseconds wait) {
  while (fill(wait)) {
  }
  return std::exchange(buf_, "");
}

// --- SessionHarness ------------------------------------------------------------------

struct SessionHarness::Context {
  std::unique_ptr<auth::Authenticator> authenticator;
  ImapContext imap;
  std::unique_ptr<ChangeHub> hub;
};

SessionHarness::SessionHarness(void (*adjust)(Config&)) : acceptor_(io_) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() /
         ("imapd-cmd-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
          std::to_string(rd()));
  std::filesystem::create_directories(dir_);
  config_.server.hostname = "test.example";
  config_.server.data_dir = dir_;
  config_.imapd.allow_plaintext_auth_on_loopback = true;
  // Failed logins are part of many tests: short penalties, and quick SCRAM keys.
  config_.auth.failure_delay_ms = 1;
  config_.auth.max_failure_delay_ms = 2;
  config_.auth.scram_iterations = 4096;
  if (adjust) adjust(config_);
  store::StoreOptions options;
  options.map_size = size_t{256} << 20;
  options.analyze = store::store_options(config_).analyze;  // MIME summaries, as imapd has
  options.notify_dir = dir_ / "notify";  // IDLE sessions hear of changes as in imapd
  auto store = store::open_lmdb_store(dir_ / "store", options);
  auto directory = auth::open_lmdb_directory(dir_ / "directory");
  if (!store || !directory) throw std::runtime_error("cannot open the test store");
  store_ = std::move(*store);
  directory_ = std::move(*directory);
  if (!directory_->add_domain("example.test") || !directory_->add_account(kUser, kPassword) ||
      !store_->create_account(kUser))
    throw std::runtime_error("cannot create the test account");
  auto throttle = auth::LoginThrottle::open(
      dir_ / "throttle", auth::AuthenticatorOptions::from(config_.auth).throttle);
  if (!throttle) throw std::runtime_error("cannot open the login throttle");
  auto authenticator = std::make_unique<auth::Authenticator>(
      *directory_, std::move(*throttle), auth::AuthenticatorOptions::from(config_.auth));
  auth::Authenticator& login = *authenticator;
  auto listener = store::ChangeListener::open(options.notify_dir);
  if (!listener) throw std::runtime_error("cannot listen for change notices");
  context_ = std::make_unique<Context>(
      Context{std::move(authenticator),
              {config_, *directory_, *store_, nullptr, workers_, login, nullptr},
              std::make_unique<ChangeHub>(io_.get_executor(), std::move(*listener))});
  context_->imap.changes = context_->hub.get();
  net::asio::co_spawn(io_, context_->hub->run(), net::asio::detached);
  net::tcp::endpoint endpoint(net::asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  guard_ = std::make_unique<net::asio::executor_work_guard<net::asio::io_context::executor_type>>(
      io_.get_executor());
  loop_ = std::thread([this] { io_.run(); });
}

SessionHarness::~SessionHarness() {
  net::asio::post(io_, [this] { context_->hub->stop(); });
  guard_.reset();
  // Sessions end when their clients (destroyed before the harness) have closed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!io_.stopped() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!io_.stopped()) {
    ADD_FAILURE() << "a session did not end after its client closed";
    io_.stop();
  }
  loop_.join();
  workers_.join();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void SessionHarness::assume_capabilities(std::vector<std::string_view> words) {
  assumed_ = std::move(words);
  context_->imap.assumed_capabilities = assumed_;
}

TestClient SessionHarness::connect() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(acceptor_.local_endpoint().port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect failed");
  net::tcp::socket server_side = acceptor_.accept();
  auto conn = std::make_shared<net::Connection>(std::move(server_side),
                                                static_cast<size_t>(config_.imapd.max_line_length),
                                                "test" + std::to_string(next_id_++));
  net::asio::co_spawn(io_, run_session(context_->imap, std::move(conn)), net::asio::detached);
  TestClient client(fd);
  client.read_greeting();
  return client;
}

TestClient SessionHarness::login() {
  TestClient c = connect();
  c.transact("ok", "LOGIN " + std::string(kUser) + " " + std::string(kPassword));
  return c;
}

uint32_t SessionHarness::deliver(std::string_view message, std::string_view mailbox,
                                 uint32_t system_flags) {
  store::Delivery d{std::string(kUser), std::string(mailbox), {system_flags, {}}, {}};
  auto delivered = store_->deliver(std::span(&d, 1), message, 1700000000);
  if (!delivered) throw std::runtime_error("delivery failed: " + delivered.error().message);
  return delivered->front().uid;
}

std::string make_message(std::string_view tag, size_t body_octets) {
  std::string m = "From: sender@outside.test\r\nTo: alice@example.test\r\nSubject: test ";
  m += tag;
  m += "\r\nMessage-ID: <";
  m += tag;
  m += "@outside.test>\r\nContent-Type: text/plain\r\n\r\n";
  std::string body;
  while (body.size() < body_octets) body += "line of text for " + std::string(tag) + "\r\n";
  return m + body;
}

}  // namespace mail::imapd::testing
