// smtpd: the SMTP server. Listens on the MX port (smtpd.listen), submission
// (smtpd.submission_listen, STARTTLS) and submissions (smtpd.submissions_listen, implicit
// TLS); accepted messages go to the queue through one group-commit writer, so concurrent
// sessions share fsyncs, and queued is nudged at once.
//
// SECURITY: relaying to other domains requires an authenticated session; no address range
// is trusted. AUTH (through the shared, throttled auth::Authenticator) is offered only over
// TLS, or from loopback with smtpd.allow_plaintext_auth_on_loopback. Every input is
// bounded (see SmtpdConfig).
#include "auth/authenticator.h"
#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/config_reload.h"
#include "common/net/daemon.h"
#include "common/net/metrics_server.h"
#include "mailauth/inbound.h"
#include "queue/group_commit.h"
#include "queue/spool.h"
#include "queued/relay/sending_policy.h"
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
  // After the Runtime: its password pool must stop before the event loops are destroyed.
  auto authenticator =
      net::open_or_exit(auth::Authenticator::open(*directory, config), "smtpd", "login throttle");
  std::unique_ptr<mailauth::Service> authentication;
  const MailauthConfig& ma = config.mailauth;
  if (ma.spf || ma.dkim_verify || ma.dmarc || ma.dkim_sign)
    authentication = net::open_or_exit(mailauth::Service::create(config), "smtpd", "mailauth");
  // Hard-bounced recipients that queued put on the suppression list are refused at RCPT;
  // authenticated users' sending limits are checked at MAIL and counted once queued.
  auto sending = net::open_or_exit(relay::open_sending_policy(config.sending_dir()), "smtpd",
                                   "sending policy");
  // SIGHUP: new sessions get a context built from the re-read configuration.
  net::ConfigReloader reloader(cli.config_path, config);
  net::LiveContext<smtpd::SmtpContext> live(reloader.current(), [&](const Config& c) {
    return smtpd::SmtpContext{c,
                              *directory,
                              committer,
                              tls.get(),
                              *authenticator,
                              authentication.get(),
                              sending.get(),
                              &runtime.workers()};
  });
  reloader.on_change([&live](std::shared_ptr<const Config> c) { live.replace(std::move(c)); });
  net::reload_config_on_sighup(runtime, reloader);
  auto metrics = net::start_metrics_or_exit(runtime, config.smtpd.metrics_listen, "smtpd");
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
  auto handler_for = [&live, &config](smtpd::Port port) {
    return [&live, policy = smtpd::port_policy(port, config.smtpd)](
               std::shared_ptr<net::Connection> conn, const net::ListenerSpec& spec) {
      auto generation = live.current();
      auto session = smtpd::run_session(generation->context, std::move(conn), policy);
      return net::observed_session(std::move(generation), spec.name, std::move(session));
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
