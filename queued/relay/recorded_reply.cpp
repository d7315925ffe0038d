#include "queued/relay/recorded_reply.h"

#include "queued/relay/protocol/reply_parser.h"

namespace mail::relay {

std::string record_reply(const smtp::Reply& reply, std::string_view remote_host,
                         std::string_view remote_address) {
  const std::string text = reply_text(reply);
  if (remote_host.empty()) return text;
  std::string out = "host ";
  out += remote_host;
  if (!remote_address.empty()) {
    out += '[';
    out += remote_address;
    out += ']';
  }
  out += " said: ";
  out += text;
  return out;
}

RecordedReply parse_recorded_reply(std::string_view recorded) {
  RecordedReply out;
  constexpr std::string_view kHost = "host ";
  constexpr std::string_view kSaid = " said: ";
  if (recorded.substr(0, kHost.size()) == kHost) {
    const size_t said = recorded.find(kSaid);
    if (said != std::string_view::npos) {
      std::string_view host = recorded.substr(kHost.size(), said - kHost.size());
      if (const size_t bracket = host.find('['); bracket != std::string_view::npos)
        host = host.substr(0, bracket);
      out.remote_mta = std::string(host);
      recorded.remove_prefix(said + kSaid.size());
    }
  }
  out.text = std::string(recorded);
  if (recorded.size() >= 3 && recorded[0] >= '2' && recorded[0] <= '5' && recorded[1] >= '0' &&
      recorded[1] <= '9' && recorded[2] >= '0' && recorded[2] <= '9' &&
      (recorded.size() == 3 || recorded[3] == ' ')) {
    out.code = (recorded[0] - '0') * 100 + (recorded[1] - '0') * 10 + (recorded[2] - '0');
    std::string rest;
    if (recorded.size() > 4) split_enhanced_code(out.code, recorded.substr(4), out.enhanced, rest);
  }
  return out;
}

}  // namespace mail::relay
