// Reading a new password for `mailctl user add` and `user passwd`. A password never comes
// from the command line (it would show in `ps` and shell history): it is read from a
// file named by --password-file, from the terminal without echo, or as one line of a
// piped standard input. Trusts nothing it reads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mail::ctl {

// Longer input is refused rather than cut: a truncated password would silently differ
// from the one the administrator meant.
inline constexpr size_t kMaxPasswordLength = 1024;

// The password in `input`: its first line without the line ending ("\n" or "\r\n").
// Invalid when that line is empty, longer than kMaxPasswordLength or holds a NUL byte.
Result<std::string> parse_password_line(std::string_view input);

// Reads a new password: the first line of `password_file` when given; else, when standard
// input is a terminal, prompts on stderr twice with echo off and requires both to match;
// else one line of standard input.
Result<std::string> read_new_password(const std::optional<std::string>& password_file);

}  // namespace mail::ctl
