// SMTP replies as values (RFC 5321 4.2) and the table of every reply the server sends.
// A Reply is built by our own code; text lines are still scrubbed of CR/LF by to_wire()
// because some carry client-supplied strings (a HELO name, an address).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::smtp {

struct Reply {
  int code = 0;
  // RFC 3463 enhanced status code ("5.1.1"). RFC 2034 3 puts one on every reply except the
  // greeting and the HELO/EHLO replies; 334 and 354 are intermediate and carry none either.
  std::string enhanced;
  std::vector<std::string> lines;  // at least one; more give the "250-" continuation form

  Reply() = default;
  Reply(int code, std::string enhanced, std::string text);
  Reply(int code, std::string enhanced, std::vector<std::string> lines);

  // "250-2.0.0 first\r\n250 2.0.0 last\r\n" (RFC 5321 4.2.1). CR and LF inside a line
  // become spaces so a line can never split into two replies.
  std::string to_wire() const;

  bool positive() const { return code >= 200 && code < 400; }
  bool transient_failure() const { return code >= 400 && code < 500; }
  bool permanent_failure() const { return code >= 500; }
  // 421 and 221: the server closes the connection after sending it (RFC 5321 3.8, 4.1.1.10).
  bool closes_connection() const { return code == 421 || code == 221; }

  bool operator==(const Reply&) const = default;
};

// Every reply the SMTP server sends, in one place.
//
//   function                      code enhanced  text
//   greeting(host)                220  -         "<host> ESMTP ready"
//   ehlo(host, extensions)        250  -         "<host>", then one line per extension
//   helo(host)                    250  -         "<host>"
//   ok()                          250  2.0.0     "Ok"
//   sender_ok()                   250  2.1.0     "Ok"
//   recipient_ok()                250  2.1.5     "Ok"
//   queued(id)                    250  2.0.0     "Ok: queued as <id>"
//   chunk_received(octets)        250  2.0.0     "<octets> octets received"
//   cannot_vrfy()                 252  2.5.0     "Cannot VRFY user, but will accept message..."
//   help()                        214  2.0.0     "See RFC 5321"
//   bye()                         221  2.0.0     "Bye"
//   ready_for_tls()               220  2.0.0     "Ready to start TLS"
//   auth_ok()                     235  2.7.0     "Authentication successful"
//   auth_challenge(b64)           334  -         "<b64>"
//   start_data()                  354  -         "End data with <CR><LF>.<CR><LF>"
//   service_unavailable(host)     421  4.3.2     "<host> Service not available, closing..."
//   too_many_errors()             421  4.7.0     "Too many errors, closing connection"
//   too_many_commands()           421  4.7.0     "Too many commands without progress, ..."
//   too_many_auth_failures()      421  4.7.0     "Too many failed authentications, closing..."
//   timeout()                     421  4.4.2     "Timeout exceeded, closing connection"
//   local_error()                 451  4.3.0     "Local error in processing"
//   temporary_policy(text)        451  4.7.1     text
//   storage_full()                452  4.3.1     "Insufficient system storage"
//   too_many_recipients()         452  4.5.3     "Too many recipients"
//   tls_not_available()           454  4.7.0     "TLS not available due to temporary reason"
//   auth_temporary(text)          454  4.7.0     text ("Temporary authentication failure...")
//   unknown_command()             500  5.5.2     "Command not recognized"
//   line_too_long()               500  5.5.2     "Line too long"
//   bad_characters()              500  5.5.2     "Invalid character in command"
//   bare_lf_command()             500  5.5.2     "Bare LF not allowed, commands end in CRLF"
//   auth_line_too_long()          500  5.5.6     "Authentication exchange line is too long"
//   syntax_error(text)            501  5.5.4     text (default "Syntax error")
//   bad_sender_syntax()           501  5.1.7     "Bad sender address syntax"
//   bad_recipient_syntax()        501  5.1.3     "Bad recipient address syntax"
//   auth_cancelled()              501  5.7.0     "Authentication cancelled"
//   auth_malformed()              501  5.5.2     "Malformed authentication data"
//   not_implemented(text)         502  5.5.1     text (default "Command not implemented")
//   bad_sequence(text)            503  5.5.1     text (default "Bad sequence of commands")
//   already_authenticated()       503  5.5.1     "Already authenticated"
//   auth_mechanism_unsupported()  504  5.5.4     "Unrecognized authentication type"
//   auth_required()               530  5.7.0     "Authentication required"
//   starttls_required()           530  5.7.0     "Must issue a STARTTLS command first"
//   auth_failed()                 535  5.7.8     "Authentication credentials invalid"
//   auth_encryption_required()    538  5.7.11    "Encryption required for requested..."
//   user_unknown()                550  5.1.1     "Recipient address rejected: User unknown"
//   bare_line_ending()            550  5.5.2     "bare CR or LF not allowed"
//   policy_rejected(text)         550  5.7.1     text
//   author_not_owned(user)        550  5.7.1     "From:/Sender: address not owned by ..."
//   message_too_big()             552  5.3.4     "Message size exceeds fixed limit"
//   utf8_required()               553  5.6.7     "SMTPUTF8 required for non-ASCII address"
//   sender_not_owned(user)        553  5.7.1     "Sender address rejected: not owned by ..."
//   relay_denied()                554  5.7.1     "Relay access denied"
//   early_talker()                554  5.5.0     "Protocol error: input before the greeting"
//   no_valid_recipients()         554  5.5.1     "No valid recipients"
//   param_not_supported(text)     555  5.5.4     text (default "Unsupported parameter")
namespace replies {

Reply greeting(std::string_view host);
Reply ehlo(std::string_view host, const std::vector<std::string>& extensions);
Reply helo(std::string_view host);
Reply ok();
Reply sender_ok();
Reply recipient_ok();
Reply queued(std::string_view id);
Reply chunk_received(uint64_t octets);
Reply cannot_vrfy();
Reply help();
Reply bye();
Reply ready_for_tls();
Reply auth_ok();
Reply auth_challenge(std::string_view base64);
Reply start_data();
Reply service_unavailable(std::string_view host);
Reply too_many_errors();
Reply too_many_commands();
Reply too_many_auth_failures();
Reply timeout();
Reply local_error();
Reply temporary_policy(std::string_view text);
Reply storage_full();
Reply too_many_recipients();
Reply tls_not_available();
Reply auth_temporary(std::string_view text = "Temporary authentication failure, try again later");
Reply unknown_command();
Reply line_too_long();
Reply bad_characters();
Reply bare_lf_command();
Reply auth_line_too_long();
Reply syntax_error(std::string_view text = "Syntax error");
Reply bad_sender_syntax();
Reply bad_recipient_syntax();
Reply auth_cancelled();
Reply auth_malformed();
Reply not_implemented(std::string_view text = "Command not implemented");
Reply bad_sequence(std::string_view text = "Bad sequence of commands");
Reply already_authenticated();
Reply auth_mechanism_unsupported();
Reply auth_required();
Reply starttls_required();
Reply auth_failed();
Reply auth_encryption_required();
Reply user_unknown();
Reply bare_line_ending();
Reply policy_rejected(std::string_view text);
Reply author_not_owned(std::string_view user);
Reply message_too_big();
Reply utf8_required();
Reply sender_not_owned(std::string_view user);
Reply relay_denied();
Reply early_talker();
Reply no_valid_recipients();
Reply param_not_supported(std::string_view text = "Unsupported parameter");

}  // namespace replies
}  // namespace mail::smtp
