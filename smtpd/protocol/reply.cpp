// SMTP reply formatting (RFC 5321 4.2) and the reply table declared in reply.h.
// Input is our own; reply text may embed client strings, which to_wire() scrubs.
#include "smtpd/protocol/reply.h"

#include <utility>

namespace mail::smtp {

Reply::Reply(int code, std::string enhanced, std::string text)
    : code(code), enhanced(std::move(enhanced)), lines{std::move(text)} {}

Reply::Reply(int code, std::string enhanced, std::vector<std::string> lines)
    : code(code), enhanced(std::move(enhanced)), lines(std::move(lines)) {}

std::string Reply::to_wire() const {
  const std::string code_text = std::to_string(code);
  std::string out;
  const size_t n = lines.empty() ? 1 : lines.size();
  for (size_t i = 0; i < n; ++i) {
    out += code_text;
    out += (i + 1 < n) ? '-' : ' ';
    std::string text = enhanced;
    if (!lines.empty() && !lines[i].empty()) {
      if (!text.empty()) text += ' ';
      text += lines[i];
    }
    for (char& c : text) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    out += text;
    out += "\r\n";
  }
  return out;
}

namespace replies {

Reply greeting(std::string_view host) {
  return {220, "", std::string(host) + " ESMTP ready"};
}

Reply ehlo(std::string_view host, const std::vector<std::string>& extensions) {
  std::vector<std::string> lines{std::string(host)};
  lines.insert(lines.end(), extensions.begin(), extensions.end());
  return {250, "", std::move(lines)};
}

Reply helo(std::string_view host) {
  return {250, "", std::string(host)};
}
Reply ok() {
  return {250, "2.0.0", "Ok"};
}
Reply sender_ok() {
  return {250, "2.1.0", "Ok"};
}
Reply recipient_ok() {
  return {250, "2.1.5", "Ok"};
}
Reply queued(std::string_view id) {
  return {250, "2.0.0", "Ok: queued as " + std::string(id)};
}
Reply chunk_received(uint64_t octets) {
  return {250, "2.0.0", std::to_string(octets) + " octets received"};
}
Reply cannot_vrfy() {
  return {252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"};
}
Reply help() {
  return {214, "2.0.0", "See RFC 5321"};
}
Reply bye() {
  return {221, "2.0.0", "Bye"};
}
Reply ready_for_tls() {
  return {220, "2.0.0", "Ready to start TLS"};
}
Reply auth_ok() {
  return {235, "2.7.0", "Authentication successful"};
}
Reply auth_challenge(std::string_view base64) {
  return {334, "", std::string(base64)};
}
Reply start_data() {
  return {354, "", "End data with <CR><LF>.<CR><LF>"};
}
Reply service_unavailable(std::string_view host) {
  return {421, "4.3.2", std::string(host) + " Service not available, closing transmission channel"};
}
Reply too_many_errors() {
  return {421, "4.7.0", "Too many errors, closing connection"};
}
Reply too_many_commands() {
  return {421, "4.7.0", "Too many commands without progress, closing connection"};
}
Reply too_many_auth_failures() {
  return {421, "4.7.0", "Too many failed authentications, closing connection"};
}
Reply timeout() {
  return {421, "4.4.2", "Timeout exceeded, closing connection"};
}
Reply local_error() {
  return {451, "4.3.0", "Local error in processing"};
}
Reply temporary_policy(std::string_view text) {
  return {451, "4.7.1", std::string(text)};
}
Reply storage_full() {
  return {452, "4.3.1", "Insufficient system storage"};
}
Reply too_many_recipients() {
  return {452, "4.5.3", "Too many recipients"};
}
Reply tls_not_available() {
  return {454, "4.7.0", "TLS not available due to temporary reason"};
}
Reply auth_temporary(std::string_view text) {
  return {454, "4.7.0", std::string(text)};
}
Reply unknown_command() {
  return {500, "5.5.2", "Command not recognized"};
}
Reply line_too_long() {
  return {500, "5.5.2", "Line too long"};
}
Reply bad_characters() {
  return {500, "5.5.2", "Invalid character in command"};
}
Reply bare_lf_command() {
  return {500, "5.5.2", "Bare LF not allowed, commands end in CRLF"};
}
Reply auth_line_too_long() {
  return {500, "5.5.6", "Authentication exchange line is too long"};
}
Reply syntax_error(std::string_view text) {
  return {501, "5.5.4", std::string(text)};
}
Reply bad_sender_syntax() {
  return {501, "5.1.7", "Bad sender address syntax"};
}
Reply bad_recipient_syntax() {
  return {501, "5.1.3", "Bad recipient address syntax"};
}
Reply auth_cancelled() {
  return {501, "5.7.0", "Authentication cancelled"};
}
Reply auth_malformed() {
  return {501, "5.5.2", "Malformed authentication data"};
}
Reply not_implemented(std::string_view text) {
  return {502, "5.5.1", std::string(text)};
}
Reply bad_sequence(std::string_view text) {
  return {503, "5.5.1", std::string(text)};
}
Reply already_authenticated() {
  return {503, "5.5.1", "Already authenticated"};
}
Reply auth_mechanism_unsupported() {
  return {504, "5.5.4", "Unrecognized authentication type"};
}
Reply auth_required() {
  return {530, "5.7.0", "Authentication required"};
}
Reply starttls_required() {
  return {530, "5.7.0", "Must issue a STARTTLS command first"};
}
Reply auth_failed() {
  return {535, "5.7.8", "Authentication credentials invalid"};
}
Reply auth_encryption_required() {
  return {538, "5.7.11", "Encryption required for requested authentication mechanism"};
}
Reply user_unknown() {
  return {550, "5.1.1", "Recipient address rejected: User unknown"};
}
Reply bare_line_ending() {
  return {550, "5.5.2", "bare CR or LF not allowed"};
}
Reply policy_rejected(std::string_view text) {
  return {550, "5.7.1", std::string(text)};
}
Reply author_not_owned(std::string_view user) {
  return {550, "5.7.1", "From:/Sender: address not owned by user " + std::string(user)};
}
Reply message_too_big() {
  return {552, "5.3.4", "Message size exceeds fixed limit"};
}
Reply utf8_required() {
  return {553, "5.6.7", "SMTPUTF8 required for non-ASCII address"};
}
Reply sender_not_owned(std::string_view user) {
  return {553, "5.7.1", "Sender address rejected: not owned by user " + std::string(user)};
}
Reply relay_denied() {
  return {554, "5.7.1", "Relay access denied"};
}
Reply early_talker() {
  return {554, "5.5.0", "Protocol error: input before the greeting"};
}
Reply no_valid_recipients() {
  return {554, "5.5.1", "No valid recipients"};
}
Reply param_not_supported(std::string_view text) {
  return {555, "5.5.4", std::string(text)};
}

}  // namespace replies
}  // namespace mail::smtp
