// libopendkim verification (see dkim_verify.h).
#include "mailauth/dkim_verify.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "mailauth/opendkim.h"
#include "mailauth/tag_list.h"

namespace mail::mailauth {
namespace {

// Per verify() call: the answers, and which lookups failed only for now.
struct VerifyContext {
  const KeyAnswers* keys = nullptr;
  dns::Resolver* resolver = nullptr;
  std::chrono::steady_clock::time_point deadline;
  std::set<std::string> temporary;  // key names whose lookup failed temporarily
  std::set<std::string> too_long;   // key records longer than libopendkim's buffer
  size_t max_signatures = 0;
};

std::string key_name(std::string_view selector, std::string_view domain) {
  return lower_ascii(selector) + "._domainkey." + lower_ascii(domain);
}

const char* str(const unsigned char* s) {
  return s ? reinterpret_cast<const char*>(s) : "";
}

DKIM_CBSTAT key_lookup(DKIM* dkim, DKIM_SIGINFO* sig, unsigned char* buf, size_t buflen) {
  auto* ctx = static_cast<VerifyContext*>(dkim_get_user_context(dkim));
  std::string name = key_name(str(dkim_sig_getselector(sig)), str(dkim_sig_getdomain(sig)));
  KeyAnswer fetched;
  const KeyAnswer* a = nullptr;
  if (auto it = ctx->keys->find(name); it != ctx->keys->end()) {
    a = &it->second;
  } else if (ctx->resolver && std::chrono::steady_clock::now() < ctx->deadline) {
    auto txt = ctx->resolver->txt_sync(name);
    fetched.status = txt.status;
    fetched.temporary = txt.temporary();
    fetched.records = std::move(txt.records);
    a = &fetched;
  }
  if (a == nullptr || a->temporary) {
    ctx->temporary.insert(name);
    return DKIM_CBSTAT_TRYAGAIN;
  }
  if (a->status != dns::Status::Ok || a->records.empty()) return DKIM_CBSTAT_NOTFOUND;
  // RFC 6376 3.6.2.2: one record is expected; with several, the first is used.
  const std::string& record = a->records.front();
  if (record.size() + 1 > buflen) {
    ctx->too_long.insert(name);
    return DKIM_CBSTAT_ERROR;
  }
  std::memcpy(buf, record.c_str(), record.size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}

// At the end of the header: signatures beyond the limit are ignored before any body
// hashing or key lookup is spent on them.
DKIM_CBSTAT prescreen(DKIM* dkim, DKIM_SIGINFO** sigs, int count) {
  auto* ctx = static_cast<VerifyContext*>(dkim_get_user_context(dkim));
  for (int i = static_cast<int>(ctx->max_signatures); i < count; ++i) dkim_sig_ignore(sigs[i]);
  return DKIM_CBSTAT_CONTINUE;
}

std::string algorithm_name(DKIM_SIGINFO* sig) {
  dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
  if (dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK) return {};
  switch (alg) {
    case DKIM_SIGN_RSASHA1:
      return "rsa-sha1";
    case DKIM_SIGN_RSASHA256:
      return "rsa-sha256";
    case DKIM_SIGN_ED25519SHA256:
      return "ed25519-sha256";
    default:
      return {};
  }
}

std::string tag(DKIM_SIGINFO* sig, const char* name) {
  unsigned char* v =
      dkim_sig_gettagvalue(sig, false, reinterpret_cast<unsigned char*>(const_cast<char*>(name)));
  return v ? std::string(reinterpret_cast<const char*>(v)) : std::string();
}

DkimOutcome outcome_of(DKIM* dkim, DKIM_SIGINFO* sig, const VerifyContext& ctx,
                       std::string_view body) {
  DkimOutcome o;
  o.domain = lower_ascii(str(dkim_sig_getdomain(sig)));
  o.selector = str(dkim_sig_getselector(sig));
  o.algorithm = algorithm_name(sig);
  o.identity = tag(sig, "i");
  o.b = without_whitespace(tag(sig, "b"));
  const std::string name = key_name(o.selector, o.domain);
  const unsigned flags = dkim_sig_getflags(sig);
  const int error = dkim_sig_geterror(sig);
  auto result = [&](DkimResult r, std::string reason) {
    o.result = r;
    o.reason = std::move(reason);
    return o;
  };
  if (error == DKIM_SIGERROR_UNKNOWN && !(flags & DKIM_SIGFLAG_PROCESSED)) {
    if (ctx.temporary.count(name)) return result(DkimResult::TempError, "key lookup failed");
    if (ctx.too_long.count(name)) return result(DkimResult::PermError, "key record too long");
    return result(DkimResult::PermError, "not verified");
  }
  switch (error) {
    case DKIM_SIGERROR_OK:
    case DKIM_SIGERROR_UNKNOWN:
      break;
    case DKIM_SIGERROR_BADSIG:
      return result(DkimResult::Fail, "signature did not verify");
    case DKIM_SIGERROR_EXPIRED:
      return result(DkimResult::Fail, "signature expired");
    case DKIM_SIGERROR_FUTURE:
      return result(DkimResult::Fail, "signature in the future");
    case DKIM_SIGERROR_KEYTOOSMALL:
      return result(DkimResult::Policy, "key too small");
    case DKIM_SIGERROR_KEYFAIL:
      return result(DkimResult::TempError, "key lookup failed");
    case DKIM_SIGERROR_NOKEY:
      return result(DkimResult::PermError, "no key");
    case DKIM_SIGERROR_KEYREVOKED:
      return result(DkimResult::PermError, "key revoked");
    default:
      return result(DkimResult::PermError, dkim_sig_geterrorstr(error));
  }
  if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
    return result(DkimResult::Fail, "body hash did not verify");
  if (!(flags & DKIM_SIGFLAG_PASSED) || dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH)
    return result(DkimResult::Fail, "signature did not verify");
  if (o.algorithm == "rsa-sha1")
    return result(DkimResult::Policy, "rsa-sha1 is not accepted (RFC 8301)");
  // l= shorter than the body: the rest of the body is not covered (see dkim_verify.h).
  ssize_t signlen = -1;
  if (dkim_sig_getcanonlen(dkim, sig, nullptr, nullptr, &signlen) == DKIM_STAT_OK && signlen >= 0) {
    dkim_canon_t hc = DKIM_CANON_SIMPLE, bc = DKIM_CANON_SIMPLE;
    (void)dkim_sig_getcanons(sig, &hc, &bc);
    size_t full = canonical_body_length(body, bc == DKIM_CANON_RELAXED);
    if (static_cast<size_t>(signlen) < full)
      return result(DkimResult::Neutral, "l= covers " + std::to_string(signlen) + " of " +
                                             std::to_string(full) + " body octets");
  }
  return result(DkimResult::Pass, "");
}

}  // namespace

std::vector<std::string> key_names(const HeaderBlock& header, size_t max) {
  std::vector<std::string> out;
  size_t seen = 0;
  for (const RawField& f : header.fields) {
    if (!iequals(f.name, "DKIM-Signature")) continue;
    if (seen++ >= max) break;
    auto tags = parse_tag_list(relaxed_header(f.raw).substr(f.name.size() + 1));
    if (!tags) continue;
    auto d = tag_value(*tags, "d");
    auto s = tag_value(*tags, "s");
    if (!d || !s || d->empty() || s->empty()) continue;
    std::string name = key_name(*s, *d);
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

DkimVerifier::DkimVerifier(size_t max_signatures, unsigned min_key_bits)
    : lib_(dkim_init(nullptr, nullptr)), max_signatures_(max_signatures) {
  if (!lib_) throw std::runtime_error("dkim_init failed");
  dkim_set_key_lookup(lib_, key_lookup);
  dkim_set_prescreen(lib_, prescreen);
  // Malformed signatures are reported (permerror), not dropped silently.
  unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES;
  dkim_options(lib_, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  unsigned int bits = min_key_bits;
  dkim_options(lib_, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits, sizeof bits);
}

DkimVerifier::~DkimVerifier() {
  dkim_close(lib_);
}

bool DkimVerifier::supports_ed25519() const {
  return dkim_libfeature(lib_, DKIM_FEATURE_ED25519);
}

std::vector<DkimOutcome> DkimVerifier::verify(
    std::string_view message, const HeaderBlock& header, const KeyAnswers& keys,
    dns::Resolver* resolver, std::chrono::steady_clock::time_point deadline) const {
  std::vector<DkimOutcome> out;
  bool signed_message = false;
  for (const RawField& f : header.fields) signed_message |= iequals(f.name, "DKIM-Signature");
  if (!signed_message) return out;

  VerifyContext ctx;
  ctx.keys = &keys;
  ctx.resolver = resolver;
  ctx.deadline = deadline;
  ctx.max_signatures = max_signatures_;
  DKIM_STAT status = DKIM_STAT_OK;
  DkimHandle dkim(
      dkim_verify(lib_, reinterpret_cast<const unsigned char*>("mailauth"), nullptr, &status));
  if (!dkim) {
    out.push_back(DkimOutcome{DkimResult::TempError, "", "", "", "", "", "out of memory"});
    return out;
  }
  dkim_set_user_context(dkim.get(), &ctx);
  for (const RawField& f : header.fields) {
    std::string field(f.raw);  // libopendkim wants a writable buffer
    (void)dkim_header(dkim.get(), reinterpret_cast<unsigned char*>(field.data()), field.size());
  }
  status = dkim_eoh(dkim.get());
  std::string_view body = message.substr(std::min(header.body_offset, message.size()));
  if (status == DKIM_STAT_OK) {
    std::string copy(body);
    (void)dkim_body(dkim.get(), reinterpret_cast<unsigned char*>(copy.data()), copy.size());
    (void)dkim_eom(dkim.get(), nullptr);
  }
  DKIM_SIGINFO** sigs = nullptr;
  int count = 0;
  if (dkim_getsiglist(dkim.get(), &sigs, &count) != DKIM_STAT_OK || count == 0) {
    // Signature fields libopendkim could not even list (no valid signature handle).
    out.push_back(
        DkimOutcome{DkimResult::PermError, "", "", "", "", "",
                    dkim_geterror(dkim.get()) ? dkim_geterror(dkim.get()) : "malformed signature"});
    return out;
  }
  for (int i = 0; i < count; ++i) {
    if (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) continue;
    out.push_back(outcome_of(dkim.get(), sigs[i], ctx, body));
  }
  return out;
}

}  // namespace mail::mailauth
