// smtpd: the SMTP server. Listens on the MX port (smtpd.listen), submission
// (smtpd.submission_listen, STARTTLS) and submissions (smtpd.submissions_listen, implicit
// TLS); accepted messages go to the queue through one group-commit writer, so concurrent
// sessions share fsyncs, and queued is nudged at once.
//
// SECURITY: relaying to other domains requires an authenticated session; no address range
// is trusted. Every input is bounded (see SmtpdConfig).
#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/daemon.h"
#include "queue/group_commit.h"
#include "queue/spool.h"
#include "smtpd/protocol/reply.h"
#include "smtpd/session.h"

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "smtpd", "");
  const Config& config = cli.config;
  log::init("smtpd", config.log.level);
  auto spool = net::open_or_exit(queue::open_spool(config), "smtpd", "queue");
  auto directory = net::open_or_exit(auth::open_directory(config), "smtpd", "directory");
  auto tls = net::load_tls_or_exit(config.tls, "smtpd");

  net::Runtime runtime(config.server.io_threads, config.server.worker_threads);
  // After the runtime, so it is destroyed first: its last callbacks still find the loops.
  queue::GroupCommitter committer(*spool);
  smtpd::SmtpContext context{config, *directory, committer, tls.get()};
  const auto& limits = config.smtpd;
  net::Server server(runtime, "smtpd",
                     net::server_limits(config, limits.max_connections,
                                        limits.max_connections_per_ip, limits.max_session_time),
                     tls);

  const std::string busy = "421 4.7.0 Too many connections, try again later\r\n";
  const std::string per_ip = "421 4.7.0 Too many connections from your address\r\n";
  // RFC 5321 3.8: 421 before closing, so the client retries later.
  const std::string bye = smtp::replies::service_unavailable(config.server.hostname).to_wire();
  const std::string expired = "421 4.4.2 Session time limit reached, closing connection\r\n";
  const size_t max_line = static_cast<size_t>(config.smtpd.max_line_length);
  auto handler_for = [&context](smtpd::Port port) {
    return [&context, policy = smtpd::port_policy(port)](std::shared_ptr<net::Connection> conn,
                                                         const net::ListenerSpec&) {
      return smtpd::run_session(context, std::move(conn), policy);
    };
  };
  net::listen_or_exit(server,
                      {"smtp", config.smtpd.listen, false, max_line, busy, bye, per_ip, expired},
                      handler_for(smtpd::Port::Mx), "smtpd");
  net::listen_or_exit(
      server,
      {"submission", config.smtpd.submission_listen, false, max_line, busy, bye, per_ip, expired},
      handler_for(smtpd::Port::Submission), "smtpd");
  if (tls)
    net::listen_or_exit(server,
                        {"submissions", config.smtpd.submissions_listen, true, max_line, busy, bye,
                         per_ip, expired},
                        handler_for(smtpd::Port::Submissions), "smtpd");
  net::drop_privileges_or_exit(config, "smtpd", tls.get());
  // Sessions receiving a message get smtpd.shutdown_grace to finish it on SIGTERM; the
  // event loops wait that long plus time for the last queue commits and replies.
  net::run_daemon(runtime, server, tls.get(), config,
                  std::chrono::seconds(
                      std::max(config.server.shutdown_grace, config.smtpd.shutdown_grace + 5)));
  return 0;
}
