// Reading our DMARC disposition back (see quarantine.h).
#include "mailauth/quarantine.h"

#include "mailauth/auth_results.h"
#include "mailauth/header_block.h"
#include "mailauth/report.h"

namespace mail::mailauth {

bool quarantine_requested(std::string_view message, std::string_view authserv_id) {
  HeaderBlock header = split_header(message);
  for (const RawField& f : header.fields) {
    if (!claims_our_id(f, authserv_id)) continue;
    auto ar = parse_auth_results(unfolded_value(f));
    if (!ar) continue;
    for (const ResultInfo& r : ar->results) {
      if (!iequals(r.method, "dmarc")) continue;
      for (const Property& p : r.properties)
        if (iequals(p.ptype, "policy") && iequals(p.property, "dmarc") &&
            iequals(p.value, "quarantine"))
          return true;
    }
  }
  return false;
}

}  // namespace mail::mailauth
