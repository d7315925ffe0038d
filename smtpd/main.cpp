// smtpd: the SMTP server. Listens on the MX port (smtpd.listen), submission
// (smtpd.submission_listen, STARTTLS) and submissions (smtpd.submissions_listen, implicit
// TLS); accepted messages go to the queue through one group-commit writer, so concurrent
// sessions share fsyncs, and queued is nudged at once.
//
// SECURITY: relaying to other domains requires an authenticated session; no address range
// is trusted. Every input is bounded (see SmtpdConfig).
#include <cstdio>

#include "auth/directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/server.h"
#include "queue/group_commit.h"
#include "queue/spool.h"
#include "smtpd/session.h"

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "smtpd", "");
  const Config& config = cli.config;
  log::init("smtpd", config.log.level);

  auto spool = queue::open_lmdb_spool(config.queue_dir());
  if (!spool) {
    std::fprintf(stderr, "smtpd: cannot open queue: %s\n", spool.error().message.c_str());
    return 1;
  }
  auto directory = auth::open_lmdb_directory(config.directory_dir());
  if (!directory) {
    std::fprintf(stderr, "smtpd: cannot open directory: %s\n", directory.error().message.c_str());
    return 1;
  }
  std::shared_ptr<net::TlsContexts> tls;
  if (config.tls.enabled()) {
    tls = std::make_shared<net::TlsContexts>(config.tls.cert_file, config.tls.key_file);
    if (auto r = tls->load(); !r) {
      std::fprintf(stderr, "smtpd: %s\n", r.error().message.c_str());
      return 1;
    }
  }

  queue::GroupCommitter committer(**spool);
  smtpd::SmtpContext context{config, **directory, committer, tls.get()};
  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  net::Server server(runtime, "smtpd", config.smtpd.max_connections, tls);

  const std::string busy = "421 4.7.0 Too many connections, try again later\r\n";
  const size_t max_line = static_cast<size_t>(config.smtpd.max_line_length);
  struct Spec {
    const char* name;
    std::string address;
    bool implicit_tls;
    smtpd::Port port;
  };
  const Spec specs[] = {
      {"smtp", config.smtpd.listen, false, smtpd::Port::Mx},
      {"submission", config.smtpd.submission_listen, false, smtpd::Port::Submission},
      {"submissions", tls ? config.smtpd.submissions_listen : "", true, smtpd::Port::Submissions},
  };
  for (const auto& spec : specs) {
    auto port = spec.port;
    auto r = server.listen(net::ListenerSpec{spec.name, spec.address, spec.implicit_tls, max_line, busy},
                           [&context, port](std::shared_ptr<net::Connection> conn, const net::ListenerSpec&) {
                             return smtpd::run_session(context, std::move(conn), port);
                           });
    if (!r) {
      std::fprintf(stderr, "smtpd: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  runtime.on_shutdown([&] { server.shutdown(); });
  runtime.on_reload([&] {
    if (!tls) return;
    if (auto r = tls->load(); !r) log::error("tls_reload_failed").kv("error", r.error().message);
  });
  log::info("started").kv("hostname", config.server.hostname);
  runtime.run();
  log::info("stopped");
  return 0;
}
