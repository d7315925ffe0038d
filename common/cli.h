// Start-up shared by every daemon and mailctl: `--config PATH` (or the embedded defaults),
// `--help`; a bad config stops start-up with the message naming the key and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"

namespace mail {

struct CommandLine {
  Config config;
  // The file the config came from (--config or MAIL_CONFIG); empty: embedded defaults.
  // SIGHUP reads it again (common/net/config_reload.h).
  std::filesystem::path config_path;
  std::vector<std::string> args;  // what remains after the options
};

// Exits the process with status 2 and a message on stderr for bad options or config.
CommandLine parse_command_line(int argc, char** argv, std::string_view program,
                               std::string_view usage);

}  // namespace mail
