// The suite's metrics, named in one place (docs/operations.md lists them): each daemon
// calls these at a few central points (session start and end, command dispatch, the SMTP
// reply path, queue commits, delivery completion, login outcomes). Label values come from
// fixed tables (command names of the command tables, reply codes, result names), never
// from client input.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace mail::metrics {

using Clock = std::chrono::steady_clock;

// mail_connections_open{listener}, mail_connections_total{listener}.
void connection_opened(std::string_view listener);
void connection_closed(std::string_view listener);

// mail_commands_total{protocol,command}, mail_command_duration_seconds{protocol,command}.
void command_done(std::string_view protocol, std::string_view command, Clock::duration took);

// SMTP (smtpd): mail_smtp_messages_accepted_total, mail_smtp_enqueue_duration_seconds,
// mail_smtp_rejections_total{code,status} (every 4xx/5xx reply; status is the RFC 3463
// enhanced code, "" when the reply has none).
void smtp_accepted(Clock::duration enqueue_took);
void smtp_rejected(int code, std::string_view status);

// Logins (every daemon through auth::Authenticator): mail_auth_attempts_total{protocol,result}
// and mail_auth_failures_total{protocol} (result other than success).
void auth_result(std::string_view protocol, std::string_view result);

// Delivery (queued): mail_deliveries_total{result} (delivered, deferred, failed, per
// recipient), mail_delivery_batch_duration_seconds{agent}.
void delivery(std::string_view result);
void delivery_batch(std::string_view agent, Clock::duration took);

// Queue (queued, refreshed at each scrape): mail_queue_messages,
// mail_queue_oldest_age_seconds (0 when empty).
void queue_state(uint64_t messages, double oldest_age_seconds);

// mail_lmdb_file_bytes{environment}: the size of data.mdb of every LMDB environment
// directly under data_dir (store, queue, directory, ...), read at each scrape.
void watch_lmdb_files(const std::filesystem::path& data_dir);

// Seconds since `start`, as histograms take them.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace mail::metrics
