// RFC 6376 3.2 tag=value lists (see tag_list.h).
#include "mailauth/tag_list.h"

namespace mail::mailauth {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::vector<Tag>> parse_tag_list(std::string_view text) {
  std::vector<Tag> tags;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t semi = text.find(';', pos);
    if (semi == std::string_view::npos) semi = text.size();
    std::string_view spec = trim(text.substr(pos, semi - pos));
    pos = semi + 1;
    if (spec.empty()) {
      // Only the optional ";" at the end (or an empty list) may leave an empty spec.
      if (semi < text.size() && !trim(text.substr(semi + 1)).empty()) return std::nullopt;
      continue;
    }
    size_t eq = spec.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = trim(spec.substr(0, eq));
    std::string_view value = trim(spec.substr(eq + 1));
    if (name.empty() || !is_alpha(name[0])) return std::nullopt;
    for (char c : name)
      if (!is_alpha(c) && !is_digit(c) && c != '_') return std::nullopt;
    // VALCHAR = %x21-3A / %x3C-7E, separated by whitespace.
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if (!is_space(c) && (u < 0x21 || u > 0x7e || c == ';')) return std::nullopt;
    }
    for (const Tag& t : tags)
      if (t.name == name) return std::nullopt;
    tags.push_back(Tag{std::string(name), std::string(value)});
  }
  return tags;
}

std::optional<std::string> tag_value(const std::vector<Tag>& tags, std::string_view name) {
  for (const Tag& t : tags)
    if (t.name == name) return t.value;
  return std::nullopt;
}

std::string without_whitespace(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (!is_space(c)) out.push_back(c);
  return out;
}

}  // namespace mail::mailauth
