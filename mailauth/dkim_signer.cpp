// DKIM signing: rsa-sha256 with libopendkim, ed25519-sha256 with OpenSSL (see dkim_signer.h).
#include "mailauth/dkim_signer.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>

#include "common/log.h"
#include "mailauth/author.h"
#include "mailauth/dkim_ed25519.h"
#include "mailauth/header_block.h"
#include "mailauth/opendkim.h"

namespace mail::mailauth {

const char* const kSignedHeaderFields[] = {"From",
                                           "Reply-To",
                                           "Subject",
                                           "Date",
                                           "To",
                                           "Cc",
                                           "Resent-Date",
                                           "Resent-From",
                                           "Resent-To",
                                           "Resent-Cc",
                                           "In-Reply-To",
                                           "References",
                                           "List-Id",
                                           "List-Help",
                                           "List-Unsubscribe",
                                           "List-Unsubscribe-Post",
                                           "List-Subscribe",
                                           "List-Post",
                                           "List-Owner",
                                           "List-Archive",
                                           "Message-ID",
                                           "MIME-Version",
                                           "Content-Type",
                                           "Content-Transfer-Encoding",
                                           "Content-ID",
                                           "Content-Description",
                                           "Sender",
                                           nullptr};

namespace {

namespace fs = std::filesystem;

const char* const kOversigned[] = {"From", nullptr};

// A fingerprint of the key directory: the modification times of it and of each domain's
// directory and active file (a new key, an activation or a retirement changes one).
std::string directory_stamp(const fs::path& dir) {
  std::string stamp;
  auto add = [&](const fs::path& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0)
      stamp += p.filename().string() + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec) + ";";
  };
  add(dir);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    add(entry.path());
    add(entry.path() / "active");
  }
  return stamp;
}

}  // namespace

DkimSigner::DkimSigner(std::filesystem::path key_dir)
    : store_(std::move(key_dir)), lib_(dkim_init(nullptr, nullptr)) {
  if (!lib_) throw std::runtime_error("dkim_init failed");
  const char** sign = const_cast<const char**>(kSignedHeaderFields);
  dkim_options(lib_, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign, sizeof(char**));
  const char** over = const_cast<const char**>(kOversigned);
  dkim_options(lib_, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, over, sizeof(char**));
}

DkimSigner::~DkimSigner() {
  dkim_close(lib_);
}

std::shared_ptr<const DkimSigner::Keyring> DkimSigner::keyring() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (ring_ && now - checked_ < std::chrono::seconds(1)) return ring_;
  checked_ = now;
  std::string stamp = directory_stamp(store_.dir());
  if (ring_ && stamp == stamp_) return ring_;
  auto ring = std::make_shared<Keyring>();
  auto keys = store_.list();
  if (!keys) {
    log::warn("dkim_keys_unreadable").kv("error", keys.error().message);
    if (ring_) return ring_;
  } else {
    for (auto& k : *keys)
      if (k.active) (*ring)[k.domain].push_back(std::move(k));
  }
  ring_ = std::move(ring);
  stamp_ = std::move(stamp);
  return ring_;
}

const std::vector<DkimKey>* DkimSigner::keys_for(const Keyring& ring, std::string_view from_domain,
                                                 std::string* domain) {
  std::string d = lower_ascii(from_domain);
  while (!d.empty()) {
    if (auto it = ring.find(d); it != ring.end() && !it->second.empty()) {
      if (domain) *domain = d;
      return &it->second;
    }
    size_t dot = d.find('.');
    if (dot == std::string::npos) break;
    d = d.substr(dot + 1);
    if (d.find('.') == std::string::npos) break;  // never a top-level domain
  }
  return nullptr;
}

std::string DkimSigner::signing_domain(std::string_view from_domain) {
  std::string d;
  auto ring = keyring();
  return keys_for(*ring, from_domain, &d) ? d : std::string();
}

Result<std::string> DkimSigner::sign(std::string_view message) {
  HeaderBlock header = split_header(message);
  Author author = author_of(header);
  if (author.domains.size() != 1) return std::string();  // no single author domain to sign for
  auto ring = keyring();
  std::string domain;
  const std::vector<DkimKey>* keys = keys_for(*ring, author.domains.front(), &domain);
  if (!keys) return std::string();
  std::string body(message.substr(std::min(header.body_offset, message.size())));
  std::string out;
  for (const DkimKey& key : *keys) {
    if (key.algorithm == KeyAlgorithm::Ed25519) {  // not libopendkim: see dkim_ed25519.h
      auto field = sign_ed25519(message, header, key, domain, std::time(nullptr),
                                kSignedHeaderFields, kOversigned);
      if (!field) return field;
      out += *field;
      continue;
    }
    DKIM_STAT st = DKIM_STAT_OK;
    DkimHandle dkim(dkim_sign(
        lib_, reinterpret_cast<const unsigned char*>("mailauth"), nullptr,
        const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(key.private_pem.c_str())),
        reinterpret_cast<const unsigned char*>(key.selector.c_str()),
        reinterpret_cast<const unsigned char*>(domain.c_str()), DKIM_CANON_RELAXED,
        DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st));
    if (!dkim)
      return make_error(ErrorKind::Temporary, std::string("dkim_sign: ") + dkim_getresultstr(st));
    for (const RawField& f : header.fields) {
      std::string field(f.raw);
      if (dkim_header(dkim.get(), reinterpret_cast<unsigned char*>(field.data()), field.size()) !=
          DKIM_STAT_OK)
        return make_error(ErrorKind::Invalid, "malformed header field, not signed");
    }
    if ((st = dkim_eoh(dkim.get())) != DKIM_STAT_OK ||
        (st = dkim_body(dkim.get(), reinterpret_cast<unsigned char*>(body.data()), body.size())) !=
            DKIM_STAT_OK ||
        (st = dkim_eom(dkim.get(), nullptr)) != DKIM_STAT_OK)
      return make_error(
          ErrorKind::Invalid,
          std::string("signing failed: ") +
              (dkim_geterror(dkim.get()) ? dkim_geterror(dkim.get()) : dkim_getresultstr(st)));
    unsigned char* sig = nullptr;
    size_t len = 0;
    const size_t prefix = sizeof("DKIM-Signature: ") - 1;
    if ((st = dkim_getsighdr_d(dkim.get(), prefix, &sig, &len)) != DKIM_STAT_OK)
      return make_error(ErrorKind::Invalid,
                        std::string("signing failed: ") + dkim_getresultstr(st));
    out += "DKIM-Signature: ";
    out.append(reinterpret_cast<const char*>(sig), len);
    out += "\r\n";
  }
  return out;
}

}  // namespace mail::mailauth
