// RFC5322.From domains (see author.h), read with the MIME library's address parser.
#include "mailauth/author.h"

#include <algorithm>

#include "mime/address.h"

namespace mail::mailauth {

Author author_of(const HeaderBlock& header) {
  Author out;
  for (const RawField& f : header.fields) {
    if (!iequals(f.name, "From")) continue;
    ++out.from_fields;
    for (const auto& a : mime::parse_address_list(unfolded_value(f), 64)) {
      if (a.is_group_start() || a.is_group_end() || !a.domain || a.domain->empty()) continue;
      std::string d = lower_ascii(*a.domain);
      while (!d.empty() && d.back() == '.') d.pop_back();
      // Dovecot's placeholders for what is missing are not domains.
      if (d.empty() || d.find_first_of(" \t\"()<>[]\\,;:@") != std::string::npos ||
          d == "missing_domain" || d == "syntax_error")
        continue;
      if (std::find(out.domains.begin(), out.domains.end(), d) == out.domains.end())
        out.domains.push_back(d);
    }
  }
  if (out.from_fields == 0)
    out.problem = "no From field";
  else if (out.domains.empty())
    out.problem = "no domain in the From field";
  else if (out.from_fields > 1)
    out.problem = "more than one From field";
  if (out.domains.size() > kMaxAuthorDomains) {
    out.domains.resize(kMaxAuthorDomains);
    out.problem = "too many From domains";
  }
  return out;
}

}  // namespace mail::mailauth
