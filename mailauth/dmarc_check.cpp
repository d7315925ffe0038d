// DMARC evaluation with libopendmarc (see dmarc_check.h).
#include "mailauth/dmarc_check.h"

#include <opendmarc/dmarc.h>

#include <cstring>
#include <mutex>

namespace mail::mailauth {
namespace {

unsigned char* u(const std::string& s) {
  return reinterpret_cast<unsigned char*>(const_cast<char*>(s.c_str()));
}

DmarcPolicy policy_of(int p) {
  switch (p) {
    case DMARC_RECORD_P_REJECT:
      return DmarcPolicy::Reject;
    case DMARC_RECORD_P_QUARANTINE:
      return DmarcPolicy::Quarantine;
    default:
      return DmarcPolicy::None;
  }
}

int spf_outcome(SpfResult r) {
  switch (r) {
    case SpfResult::Pass:
      return DMARC_POLICY_SPF_OUTCOME_PASS;
    case SpfResult::Fail:
    case SpfResult::SoftFail:
    case SpfResult::PermError:
      return DMARC_POLICY_SPF_OUTCOME_FAIL;
    case SpfResult::TempError:
      return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
    default:
      return DMARC_POLICY_SPF_OUTCOME_NONE;
  }
}

int dkim_outcome(DkimResult r) {
  switch (r) {
    case DkimResult::Pass:
      return DMARC_POLICY_DKIM_OUTCOME_PASS;
    case DkimResult::TempError:
      return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
    case DkimResult::None:
      return DMARC_POLICY_DKIM_OUTCOME_NONE;
    default:
      return DMARC_POLICY_DKIM_OUTCOME_FAIL;
  }
}

struct PolicyDeleter {
  void operator()(DMARC_POLICY_T* p) const { opendmarc_policy_connect_shutdown(p); }
};

}  // namespace

std::optional<std::string> dmarc_record(const std::vector<std::string>& txt) {
  std::optional<std::string> found;
  for (const std::string& t : txt) {
    // "v=DMARC1" first, then ";" or the end (whitespace allowed around "=" and ";").
    std::string_view s = t;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    if (!s.starts_with("v")) continue;
    s.remove_prefix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    if (!s.starts_with("=")) continue;
    s.remove_prefix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    if (!s.starts_with("DMARC1")) continue;
    s.remove_prefix(6);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    if (!s.empty() && s.front() != ';') continue;
    if (found) return std::nullopt;  // more than one: no policy
    found = t;
  }
  return found;
}

Result<void> init_dmarc_library(const std::filesystem::path& public_suffix_list) {
  static std::once_flag once;
  static int status = 0;
  std::call_once(once, [&] {
    OPENDMARC_LIB_T lib;
    std::memset(&lib, 0, sizeof lib);
    lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
    std::strncpy(reinterpret_cast<char*>(lib.tld_source_file), public_suffix_list.c_str(),
                 sizeof lib.tld_source_file - 1);
    status = opendmarc_policy_library_init(&lib);
  });
  if (status != DMARC_PARSE_OKAY)
    return make_error(ErrorKind::Invalid, "libopendmarc: cannot read the public suffix list " +
                                              public_suffix_list.string());
  return {};
}

DmarcOutcome evaluate_dmarc(const std::string& from_domain, const std::string& org_domain,
                            const RecordAnswer& at_from, const RecordAnswer* at_org,
                            const std::string& client_ip, const SpfOutcome& spf,
                            const std::vector<DkimOutcome>& dkim, int roll) {
  DmarcOutcome out;
  out.checked = true;
  out.from_domain = from_domain;
  // RFC 7489 6.6.3: the From domain's record, else the Organizational Domain's.
  std::optional<std::string> record;
  bool from_org = false;
  if (at_from.temporary) {
    out.result = DmarcResult::TempError;
    out.reason = "record lookup failed";
    return out;
  }
  if (at_from.status == dns::Status::Ok) record = dmarc_record(at_from.records);
  if (!record && at_org) {
    if (at_org->temporary) {
      out.result = DmarcResult::TempError;
      out.reason = "record lookup failed";
      return out;
    }
    if (at_org->status == dns::Status::Ok) record = dmarc_record(at_org->records);
    from_org = record.has_value();
  }
  if (!record) return out;  // none
  out.record_domain = from_org ? org_domain : from_domain;

  const bool v6 = client_ip.find(':') != std::string::npos;
  std::string ip = client_ip.empty() ? "0.0.0.0" : client_ip;
  std::unique_ptr<DMARC_POLICY_T, PolicyDeleter> p(opendmarc_policy_connect_init(u(ip), v6));
  if (!p) {
    out.result = DmarcResult::TempError;
    out.reason = "out of memory";
    return out;
  }
  // The organizational domain tells libopendmarc to use sp= (a subdomain's policy).
  OPENDMARC_STATUS_T st = opendmarc_policy_store_dmarc(p.get(), u(*record), u(from_domain),
                                                       from_org ? u(org_domain) : nullptr);
  if (st != DMARC_PARSE_OKAY) {
    out.result = DmarcResult::PermError;
    out.reason = opendmarc_policy_status_to_str(st);
    return out;
  }
  if (spf.checked && !spf.domain.empty())
    (void)opendmarc_policy_store_spf(
        p.get(), u(spf.domain), spf_outcome(spf.result),
        spf.helo ? DMARC_POLICY_SPF_ORIGIN_HELO : DMARC_POLICY_SPF_ORIGIN_MAILFROM, nullptr);
  for (const DkimOutcome& k : dkim)
    if (!k.domain.empty())
      (void)opendmarc_policy_store_dkim(p.get(), u(k.domain), u(k.selector), dkim_outcome(k.result),
                                        nullptr);
  const OPENDMARC_STATUS_T policy = opendmarc_get_policy_to_enforce(p.get());
  int dkim_alignment = 0, spf_alignment = 0;
  (void)opendmarc_policy_fetch_alignment(p.get(), &dkim_alignment, &spf_alignment);
  out.dkim_aligned = dkim_alignment == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
  out.spf_aligned = spf_alignment == DMARC_POLICY_SPF_ALIGNMENT_PASS;
  int p_tag = 0, sp_tag = 0, pct = 100;
  (void)opendmarc_policy_fetch_p(p.get(), &p_tag);
  (void)opendmarc_policy_fetch_sp(p.get(), &sp_tag);
  (void)opendmarc_policy_fetch_pct(p.get(), &pct);
  out.policy = policy_of(from_org && sp_tag != DMARC_RECORD_P_UNSPECIFIED ? sp_tag : p_tag);
  switch (policy) {
    case DMARC_POLICY_PASS:
      out.result = DmarcResult::Pass;
      return out;
    case DMARC_POLICY_REJECT:
    case DMARC_POLICY_QUARANTINE:
    case DMARC_POLICY_NONE:
      out.result = DmarcResult::Fail;
      break;
    default:  // DMARC_POLICY_ABSENT, DMARC_FROM_DOMAIN_ABSENT
      out.result = DmarcResult::None;
      return out;
  }
  out.disposition = policy == DMARC_POLICY_REJECT       ? DmarcPolicy::Reject
                    : policy == DMARC_POLICY_QUARANTINE ? DmarcPolicy::Quarantine
                                                        : DmarcPolicy::None;
  out.policy = out.disposition;
  // pct= (default 100): outside the sample, the next milder policy (RFC 7489 6.6.4).
  if (pct >= 0 && pct < 100 && roll >= pct) {
    out.disposition =
        out.disposition == DmarcPolicy::Reject ? DmarcPolicy::Quarantine : DmarcPolicy::None;
    out.reason = "pct=" + std::to_string(pct) + " sampled out";
  }
  return out;
}

}  // namespace mail::mailauth
