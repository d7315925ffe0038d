// Password input for mailctl: --password-file, a no-echo terminal prompt (termios), or a
// line of piped stdin. Input is untrusted; every source goes through parse_password_line.
#include "ctl/password_input.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace mail::ctl {

Result<std::string> parse_password_line(std::string_view input) {
  auto line = input.substr(0, input.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return make_error(ErrorKind::Invalid, "empty password");
  if (line.size() > kMaxPasswordLength) {
    return make_error(ErrorKind::Invalid,
                      "password longer than " + std::to_string(kMaxPasswordLength) + " bytes");
  }
  if (line.find('\0') != std::string_view::npos) {
    return make_error(ErrorKind::Invalid, "password contains a NUL byte");
  }
  return std::string(line);
}

namespace {

// Reads up to and including the first newline, at most one byte past the limit so that an
// over-long line is still recognised as such by parse_password_line.
std::string read_line(std::FILE* in) {
  std::string line;
  int c;
  while (line.size() <= kMaxPasswordLength + 1 && (c = std::fgetc(in)) != EOF) {
    line.push_back(static_cast<char>(c));
    if (c == '\n') break;
  }
  return line;
}

// The terminal state to restore when a signal interrupts the no-echo prompt; tcsetattr is
// async-signal-safe (POSIX.1-2017 section 2.4.3).
termios saved_termios;
volatile std::sig_atomic_t echo_off = 0;

extern "C" void restore_and_reraise(int sig) {
  if (echo_off) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

Result<std::string> prompt_no_echo(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  if (::tcgetattr(STDIN_FILENO, &saved_termios) != 0) {
    return make_error(ErrorKind::Temporary, std::string("terminal: ") + std::strerror(errno));
  }
  termios quiet = saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  auto old_int = std::signal(SIGINT, restore_and_reraise);
  auto old_term = std::signal(SIGTERM, restore_and_reraise);
  auto old_hup = std::signal(SIGHUP, restore_and_reraise);
  echo_off = 1;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line = read_line(stdin);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
  echo_off = 0;
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::signal(SIGHUP, old_hup);
  std::fputc('\n', stderr);  // the typed newline was not echoed
  return parse_password_line(line);
}

Result<std::string> read_from_terminal() {
  auto first = prompt_no_echo("New password: ");
  if (!first) return first;
  auto second = prompt_no_echo("Retype new password: ");
  if (!second) return second;
  if (*first != *second) return make_error(ErrorKind::Invalid, "passwords do not match");
  return first;
}

Result<std::string> read_from_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return make_error(ErrorKind::NotFound, path + ": " + std::strerror(errno));
  std::string line = read_line(f);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return make_error(ErrorKind::Temporary, path + ": read error");
  return parse_password_line(line);
}

}  // namespace

Result<std::string> read_new_password(const std::optional<std::string>& password_file) {
  if (password_file) return read_from_file(*password_file);
  if (::isatty(STDIN_FILENO)) return read_from_terminal();
  auto line = read_line(stdin);
  if (line.empty()) return make_error(ErrorKind::Invalid, "no password on standard input");
  return parse_password_line(line);
}

}  // namespace mail::ctl
