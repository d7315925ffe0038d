// ed25519-sha256 signing (see dkim_ed25519.h). RFC 6376 3.7 gives the hash: the body
// hash bh= over the canonical body; then, over the canonical header fields named in h=
// (each instance taken from the bottom up, 5.4.2) followed by the DKIM-Signature field
// itself with an empty b= and no final CRLF, a SHA-256 digest that RFC 8463 3 signs with
// PureEdDSA.
#include "mailauth/dkim_ed25519.h"

#include <map>
#include <memory>
#include <vector>

#include "common/base64.h"
#include "mailauth/openssl_handles.h"

namespace mail::mailauth {
namespace {

bool listed(std::string_view name, const char* const* names) {
  for (; *names; ++names)
    if (iequals(name, *names)) return true;
  return false;
}

// SHA-256 of what `feed` hands over.
template <typename Feed>
std::string sha256(Feed feed) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return {};
  feed([&](std::string_view bytes) { EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()); });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) return {};
  return std::string(reinterpret_cast<char*>(digest), len);
}

// h= as written: the names joined by ':', folded before a name once a line grows long.
std::string header_list(const std::vector<std::string_view>& names) {
  std::string out = "h=";
  size_t line = out.size() + 1;  // the leading tab
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += ':';
      ++line;
      if (line + names[i].size() > 76) {
        out += "\r\n\t";
        line = 1;
      }
    }
    out += names[i];
    line += names[i].size();
  }
  return out + ";";
}

}  // namespace

Result<std::string> sign_ed25519(std::string_view message, const HeaderBlock& header,
                                 const DkimKey& key, std::string_view domain, int64_t now,
                                 const char* const* signed_fields, const char* const* oversigned) {
  auto pkey = load_private_key(key.private_pem);
  if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519)
    return make_error(ErrorKind::Invalid,
                      "ed25519 key of selector " + key.selector + " does not load");

  // h=: every present field of the list, in message order, then the oversigned names once
  // more (an instance that does not exist hashes as nothing, so none can be added later).
  std::vector<std::string_view> names;
  for (const RawField& f : header.fields)
    if (!f.name.empty() && listed(f.name, signed_fields)) names.push_back(f.name);
  for (const char* const* o = oversigned; *o; ++o) names.push_back(*o);

  std::string_view body = message.substr(std::min(header.body_offset, message.size()));
  std::string body_hash = sha256([&](auto update) { relaxed_body(body, update); });

  std::string field =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=" + std::string(domain) +
      "; s=" + key.selector + ";\r\n\tt=" + std::to_string(now) +
      "; bh=" + base64_encode(body_hash) + ";\r\n\t" + header_list(names) + "\r\n\tb=";

  std::string digest = sha256([&](auto update) {
    std::map<std::string, size_t> taken;  // instances of a name used so far, from the bottom
    for (std::string_view name : names) {
      size_t skip = taken[lower_ascii(name)]++;
      for (auto it = header.fields.rbegin(); it != header.fields.rend(); ++it) {
        if (it->name.empty() || !iequals(it->name, name)) continue;
        if (skip > 0) {
          --skip;
          continue;
        }
        update(relaxed_header(it->raw));
        update("\r\n");
        break;
      }
    }
    update(relaxed_header(field));
  });

  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char signature[64];
  size_t signature_len = sizeof signature;
  if (digest.empty() || !ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &signature_len,
                     reinterpret_cast<const unsigned char*>(digest.data()), digest.size()) != 1)
    return make_error(ErrorKind::Temporary, "ed25519 signing failed");
  field += base64_encode(std::string_view(reinterpret_cast<char*>(signature), signature_len));
  field += "\r\n";
  return field;
}

}  // namespace mail::mailauth
