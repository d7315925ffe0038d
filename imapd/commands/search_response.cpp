// SEARCH, SORT and ESEARCH responses; see search_response.h.
#include "imapd/commands/search_response.h"

#include <algorithm>

namespace mail::imapd {
namespace {

uint64_t highest_modseq(std::span<const ResultEntry> results) {
  uint64_t m = 0;
  for (const ResultEntry& r : results) m = std::max(m, r.modseq);
  return m;
}

}  // namespace

std::string ordered_set(std::span<const uint32_t> ids) {
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ids[i]);
    if (j > i) out += ':' + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

void write_plain_result(imap::ResponseWriter& out, std::string_view name,
                        std::span<const ResultEntry> results, bool with_modseq) {
  out.untagged().atom(name);
  for (const ResultEntry& r : results) out.number(r.id);
  // RFC 7162 section 3.1.5: the highest MODSEQ of the messages returned.
  if (with_modseq && !results.empty())
    out.open().atom("MODSEQ").number(highest_modseq(results)).close();
  out.end();
}

void write_esearch(imap::ResponseWriter& out, std::string_view tag, bool uid,
                   const search::ReturnOptions& ret, std::span<const ResultEntry> results,
                   bool with_modseq) {
  if (ret.save && !ret.min && !ret.max && !ret.all && !ret.count && !ret.partial && !ret.update)
    return;
  out.untagged().atom("ESEARCH").open().atom("TAG").string(tag).close();
  if (uid) out.atom("UID");
  // RFC 4731 section 3.1: MIN, MAX and ALL only when something matched; COUNT always.
  std::vector<ResultEntry> reported;  // the messages MODSEQ speaks for
  if (!results.empty()) {
    if (ret.min) {
      out.atom("MIN").number(results.front().id);
      reported.push_back(results.front());
    }
    if (ret.max) {
      out.atom("MAX").number(results.back().id);
      reported.push_back(results.back());
    }
    if (ret.all) {
      std::vector<uint32_t> ids;
      ids.reserve(results.size());
      for (const ResultEntry& r : results) ids.push_back(r.id);
      out.atom("ALL").atom(ordered_set(ids));
    }
  }
  if (ret.partial) {
    // RFC 5267 section 4.4: "PARTIAL (lo:hi set)", NIL when no result is in the range.
    std::vector<uint32_t> ids;
    for (size_t i : partial_entries(*ret.partial, results.size())) ids.push_back(results[i].id);
    out.atom("PARTIAL").open().atom(std::to_string(ret.partial->first) + ":" +
                                    std::to_string(ret.partial->last));
    if (ids.empty()) {
      out.nil();
    } else {
      out.atom(ordered_set(ids));
    }
    out.close();
  }
  if (ret.count) out.atom("COUNT").number(results.size());
  // RFC 4731 section 3.2: with only MIN and/or MAX, the MODSEQ of those messages;
  // otherwise the highest of all.
  if (with_modseq && !results.empty()) {
    const bool only_min_max = (ret.min || ret.max) && !ret.all && !ret.count;
    out.atom("MODSEQ").number(highest_modseq(only_min_max ? reported : results));
  }
  out.end();
}

std::vector<size_t> partial_entries(const search::PartialRange& range, size_t count) {
  std::vector<size_t> out;
  for (size_t i = range.first - 1; i < count && i < range.last; ++i) out.push_back(i);
  return out;
}

std::vector<size_t> saved_entries(const search::ReturnOptions& ret, size_t count) {
  std::vector<size_t> out;
  if (count == 0) return out;
  // RFC 5182 section 2.4 saves what the ESEARCH returns: with PARTIAL and neither COUNT
  // nor ALL, the partial range (and MIN/MAX when asked too).
  if (ret.partial && !ret.count) {
    out = partial_entries(*ret.partial, count);
    if (ret.min) out.insert(out.begin(), 0);
    if (ret.max) out.push_back(count - 1);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  if ((ret.min || ret.max) && !ret.all && !ret.count) {
    if (ret.min) out.push_back(0);
    if (ret.max && (!ret.min || count > 1)) out.push_back(count - 1);
    return out;
  }
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(i);
  return out;
}

}  // namespace mail::imapd
