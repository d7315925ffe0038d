// Public suffix matching (the algorithm of publicsuffix.org/list) and RFC 7489 3.2.
#include "mailauth/public_suffix.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "auth/address.h"
#include "mailauth/header_block.h"

namespace mail::mailauth {
namespace {

std::string normalized(std::string_view domain) {
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  return lower_ascii(domain);
}

std::vector<std::string_view> labels_of(std::string_view d) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= d.size()) {
    size_t dot = d.find('.', pos);
    if (dot == std::string_view::npos) dot = d.size();
    out.push_back(d.substr(pos, dot - pos));
    pos = dot + 1;
  }
  return out;
}

// The suffix of `d` made of its labels from index `first` on.
std::string_view suffix_from(std::string_view d, const std::vector<std::string_view>& labels,
                             size_t first) {
  return d.substr(static_cast<size_t>(labels[first].data() - d.data()));
}

}  // namespace

PublicSuffixList PublicSuffixList::parse(std::string_view text) {
  PublicSuffixList list;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    // A rule is the first word of a line; "//" starts a comment line.
    size_t end = line.find_first_of(" \t\r");
    if (end != std::string_view::npos) line = line.substr(0, end);
    if (line.empty() || line.starts_with("//")) continue;
    auto add = [](std::unordered_set<std::string>& set, std::string_view rule) {
      std::string r = normalized(rule);
      if (r.empty()) return;
      set.insert(r);
      if (auto a = auth::normalize_domain(r); a && *a != r) set.insert(*a);
    };
    if (line.starts_with("!"))
      add(list.exceptions_, line.substr(1));
    else if (line.starts_with("*."))
      add(list.wildcards_, line.substr(2));
    else
      add(list.rules_, line);
  }
  return list;
}

Result<PublicSuffixList> PublicSuffixList::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(ErrorKind::NotFound, "cannot read the public suffix list " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  PublicSuffixList list = parse(text.str());
  if (list.size() == 0)
    return make_error(ErrorKind::Invalid, "no rules in the public suffix list " + path.string());
  return list;
}

std::string PublicSuffixList::public_suffix(std::string_view domain) const {
  std::string d = normalized(domain);
  if (d.empty()) return d;
  auto labels = labels_of(d);
  const size_t n = labels.size();
  size_t best = 1;  // the implicit rule "*": the last label
  for (size_t i = 0; i < n; ++i) {
    std::string key(suffix_from(d, labels, i));
    if (exceptions_.count(key)) {
      // An exception rule wins; its public suffix is the rule without its first label.
      return std::string(i + 1 < n ? suffix_from(d, labels, i + 1) : std::string_view{});
    }
    if (rules_.count(key)) best = std::max(best, n - i);
    if (i + 1 < n && wildcards_.count(std::string(suffix_from(d, labels, i + 1))))
      best = std::max(best, n - i);
  }
  return std::string(suffix_from(d, labels, n - best));
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
  std::string d = normalized(domain);
  if (d.empty()) return d;
  auto labels = labels_of(d);
  std::string suffix = public_suffix(d);
  size_t suffix_labels = suffix.empty() ? 0 : labels_of(suffix).size();
  if (suffix_labels >= labels.size()) return d;
  return std::string(suffix_from(d, labels, labels.size() - suffix_labels - 1));
}

bool PublicSuffixList::same_organization(std::string_view a, std::string_view b) const {
  return organizational_domain(a) == organizational_domain(b);
}

}  // namespace mail::mailauth
