#include "common/cli.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace mail {

CommandLine parse_command_line(int argc, char** argv, std::string_view program,
                               std::string_view usage) {
  CommandLine out;
  std::optional<std::string> config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: %.*s [--config PATH] %.*s\n", static_cast<int>(program.size()),
                  program.data(), static_cast<int>(usage.size()), usage.data());
      std::exit(0);
    } else if (arg == "--config" || arg == "-c") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: --config needs a path\n", argv[0]);
        std::exit(2);
      }
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else {
      out.args.push_back(arg);
    }
  }
  if (!config_path) {
    const char* env = std::getenv("MAIL_CONFIG");
    if (env && *env) config_path = env;
  }
  auto config = config_path ? load_config(*config_path) : default_config();
  if (!config) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(),
                 config.error().message.c_str());
    std::exit(2);
  }
  out.config = std::move(config.value());
  if (config_path) out.config_path = *config_path;
  return out;
}

}  // namespace mail
