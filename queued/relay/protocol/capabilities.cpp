#include "queued/relay/protocol/capabilities.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace mail::relay {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

void add_auth(Capabilities& caps, const std::vector<std::string_view>& mechanisms, size_t from) {
  for (size_t i = from; i < mechanisms.size() && caps.auth.size() < 32; ++i) {
    if (mechanisms[i].empty()) continue;
    std::string m = upper(mechanisms[i]);
    if (std::find(caps.auth.begin(), caps.auth.end(), m) == caps.auth.end())
      caps.auth.push_back(std::move(m));
  }
}

}  // namespace

bool Capabilities::has_auth(std::string_view mechanism) const {
  return std::find(auth.begin(), auth.end(), upper(mechanism)) != auth.end();
}

Capabilities parse_ehlo(const smtp::Reply& reply) {
  Capabilities caps;
  caps.esmtp = true;
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    const auto w = words(reply.lines[i]);
    if (w.empty()) continue;
    const std::string keyword = upper(w[0]);
    if (keyword == "PIPELINING") {
      caps.pipelining = true;
    } else if (keyword == "SIZE") {
      caps.size = true;
      if (w.size() > 1 && w[1].size() <= 19 &&
          std::all_of(w[1].begin(), w[1].end(), [](char c) { return c >= '0' && c <= '9'; }))
        caps.max_size = std::stoull(std::string(w[1]));
    } else if (keyword == "8BITMIME") {
      caps.eight_bit_mime = true;
    } else if (keyword == "BINARYMIME") {
      caps.binary_mime = true;
    } else if (keyword == "CHUNKING") {
      caps.chunking = true;
    } else if (keyword == "SMTPUTF8") {
      caps.smtputf8 = true;
    } else if (keyword == "DSN") {
      caps.dsn = true;
    } else if (keyword == "STARTTLS") {
      caps.starttls = true;
    } else if (keyword == "ENHANCEDSTATUSCODES") {
      caps.enhanced_status = true;
    } else if (keyword == "AUTH") {
      add_auth(caps, w, 1);
    } else if (keyword.rfind("AUTH=", 0) == 0) {
      // The pre-standard "AUTH=LOGIN PLAIN" form some servers still send.
      std::vector<std::string_view> mechanisms = w;
      mechanisms[0] = w[0].substr(5);
      add_auth(caps, mechanisms, 0);
    }
  }
  return caps;
}

}  // namespace mail::relay
