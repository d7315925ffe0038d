// SequenceSet parsing and normalisation; see sequence_set.h. Input: untrusted client text.
#include "imapd/protocol/sequence_set.h"

#include <algorithm>

namespace mail::imap {
namespace {

// seq-number = nz-number / "*"; nz-number must fit in 32 bits (RFC 9051 section 9).
bool parse_seq_number(std::string_view text, uint32_t& out) {
  if (text == "*") {
    out = kStar;
    return true;
  }
  if (text.empty() || text.size() > 10 || text[0] == '0') return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= kStar) return false;  // 4294967295 would be indistinguishable from "*"
  out = static_cast<uint32_t>(value);
  return true;
}

uint32_t resolve(uint32_t n, uint32_t max) {
  return n == kStar ? max : n;
}

}  // namespace

std::optional<SequenceSet> SequenceSet::parse(std::string_view text) {
  SequenceSet set;
  if (text.empty()) return std::nullopt;
  if (text == "$") {  // RFC 5182 seq-last-command: alone, never inside a list
    set.saved_result = true;
    return set;
  }
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string_view element =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    size_t colon = element.find(':');
    SequenceRange range;
    if (colon == std::string_view::npos) {
      if (!parse_seq_number(element, range.first)) return std::nullopt;
      range.last = range.first;
    } else {
      if (!parse_seq_number(element.substr(0, colon), range.first) ||
          !parse_seq_number(element.substr(colon + 1), range.last)) {
        return std::nullopt;
      }
    }
    set.ranges.push_back(range);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return set;
}

bool SequenceSet::contains(uint32_t n, uint32_t max) const {
  for (const SequenceRange& r : ranges) {
    uint32_t a = resolve(r.first, max);
    uint32_t b = resolve(r.last, max);
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::vector<SequenceRange> SequenceSet::normalized(uint32_t max) const {
  std::vector<SequenceRange> out;
  if (max == 0) return out;
  out.reserve(ranges.size());
  for (const SequenceRange& r : ranges) {
    uint32_t a = resolve(r.first, max);
    uint32_t b = resolve(r.last, max);
    if (a > b) std::swap(a, b);
    if (a > max) continue;
    out.push_back({a, std::min(b, max)});
  }
  std::sort(out.begin(), out.end(),
            [](const SequenceRange& x, const SequenceRange& y) { return x.first < y.first; });
  std::vector<SequenceRange> merged;
  for (const SequenceRange& r : out) {
    if (!merged.empty() && static_cast<uint64_t>(r.first) <= uint64_t{merged.back().last} + 1) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

bool SequenceSet::within(uint32_t max) const {
  for (const SequenceRange& r : ranges) {
    if (resolve(r.first, max) > max || resolve(r.last, max) > max) return false;
  }
  return true;
}

uint64_t SequenceSet::count(uint32_t max) const {
  uint64_t total = 0;
  for (const SequenceRange& r : normalized(max)) total += uint64_t{r.last} - r.first + 1;
  return total;
}

std::optional<std::vector<uint32_t>> SequenceSet::expand(uint32_t max, size_t limit) const {
  if (count(max) > limit) return std::nullopt;
  std::vector<uint32_t> out;
  for_each(max, [&](uint32_t n) {
    out.push_back(n);
    return true;
  });
  return out;
}

std::string SequenceSet::to_string() const {
  if (saved_result) return "$";
  std::string out;
  auto put = [&](uint32_t n) { out += n == kStar ? std::string("*") : std::to_string(n); };
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) out += ',';
    put(ranges[i].first);
    if (ranges[i].last != ranges[i].first) {
      out += ':';
      put(ranges[i].last);
    }
  }
  return out;
}

}  // namespace mail::imap
