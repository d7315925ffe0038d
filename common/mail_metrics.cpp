#include "common/mail_metrics.h"

#include <string>

#include "common/metrics.h"

namespace mail::metrics {
namespace {

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void connection_opened(std::string_view listener) {
  Labels l{{"listener", std::string(listener)}};
  registry().counter("mail_connections_total", "Connections accepted, by listener.", l).add();
  registry().gauge("mail_connections_open", "Connections open now, by listener.", l).add(1);
}

void connection_closed(std::string_view listener) {
  registry()
      .gauge("mail_connections_open", "Connections open now, by listener.",
             {{"listener", std::string(listener)}})
      .add(-1);
}

void command_done(std::string_view protocol, std::string_view command, Clock::duration took) {
  Labels l{{"protocol", std::string(protocol)}, {"command", std::string(command)}};
  registry().counter("mail_commands_total", "Protocol commands handled.", l).add();
  registry()
      .histogram("mail_command_duration_seconds",
                 "Time from a command's line to the end of its handling (DATA and APPEND "
                 "include the upload).",
                 l)
      .observe(seconds(took));
}

void smtp_accepted(Clock::duration enqueue_took) {
  static Counter& accepted =
      registry().counter("mail_smtp_messages_accepted_total",
                         "Messages acknowledged with 250 after the queue commit.");
  static Histogram& commit =
      registry().histogram("mail_smtp_enqueue_duration_seconds",
                           "Time from the end of a message's data to its durable queue commit.");
  accepted.add();
  commit.observe(seconds(enqueue_took));
}

void smtp_rejected(int code, std::string_view status) {
  registry()
      .counter("mail_smtp_rejections_total",
               "SMTP replies refusing something (4xx temporary, 5xx permanent), by reply code "
               "and RFC 3463 status: 5.1.1 unknown user, 5.7.1 relay denied, 5.3.4 too big, "
               "5.5.2 syntax or bare LF, 4.7.0 and 5.7.8 authentication.",
               {{"code", std::to_string(code)}, {"status", std::string(status)}})
      .add();
}

void auth_result(std::string_view protocol, std::string_view result) {
  Labels l{{"protocol", std::string(protocol)}, {"result", std::string(result)}};
  registry().counter("mail_auth_attempts_total", "Login attempts by outcome.", l).add();
  if (result != "success")
    registry()
        .counter("mail_auth_failures_total", "Login attempts that did not succeed.",
                 {{"protocol", std::string(protocol)}})
        .add();
}

void delivery(std::string_view result) {
  registry()
      .counter("mail_deliveries_total",
               "Delivery attempts per recipient by result (delivered, deferred, failed).",
               {{"result", std::string(result)}})
      .add();
}

void delivery_batch(std::string_view agent, Clock::duration took) {
  registry()
      .histogram("mail_delivery_batch_duration_seconds",
                 "Time a delivery agent took for one batch.", {{"agent", std::string(agent)}})
      .observe(seconds(took));
}

void queue_state(uint64_t messages, double oldest_age_seconds) {
  static Gauge& length = registry().gauge("mail_queue_messages", "Messages in the queue.");
  static Gauge& age = registry().gauge("mail_queue_oldest_age_seconds",
                                       "Age of the oldest message in the queue (0 when empty).");
  length.set(static_cast<double>(messages));
  age.set(oldest_age_seconds);
}

void watch_lmdb_files(const std::filesystem::path& data_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec)) {
    const auto file = entry.path() / "data.mdb";
    if (!std::filesystem::is_regular_file(file, ec)) continue;
    const std::string name = entry.path().filename().string();
    registry().gauge_function_labeled(
        "mail_lmdb_file_bytes",
        "Size of each LMDB environment's data file (the store's is the mail on disk).",
        {{"environment", name}}, [file] {
          std::error_code e;
          auto size = std::filesystem::file_size(file, e);
          return e ? 0.0 : static_cast<double>(size);
        });
  }
}

}  // namespace mail::metrics
