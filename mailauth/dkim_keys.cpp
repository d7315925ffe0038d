// DKIM keys on disk (see dkim_keys.h): OpenSSL 3 for generation and the public halves.
#include "mailauth/dkim_keys.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "mailauth/openssl_handles.h"

namespace mail::mailauth {
namespace {

namespace fs = std::filesystem;

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

Error io_error(const std::string& what, const fs::path& path) {
  return make_error(ErrorKind::Temporary, what + " " + path.string() + ": " + std::strerror(errno));
}

bool ldh_labels(std::string_view s, bool lower_only) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (!lower_only && c >= 'A' && c <= 'Z') || (c == '-' && label > 0);
    if (!ok || ++label > 63) return false;
  }
  return label > 0 && s.back() != '-';
}

// Writes `data` to `path` atomically: a temporary file (mode 0600), fsync, rename, fsync of
// the directory. As root, the file goes to the owner of the data directory.
Result<void> write_file(const fs::path& path, std::string_view data, const fs::path& owner_of) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      ::close(fd);
      return io_error("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  struct stat st;
  if (::geteuid() == 0 && ::stat(owner_of.c_str(), &st) == 0)
    (void)::fchown(fd, st.st_uid, st.st_gid);
  if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error("cannot sync", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename", tmp);
  int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<void> make_dir(const fs::path& dir, const fs::path& owner_of) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create", dir);
  struct stat st;
  if (::geteuid() == 0 && ::stat(owner_of.c_str(), &st) == 0)
    (void)::chown(dir.c_str(), st.st_uid, st.st_gid);
  return {};
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::NotFound, "cannot read " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<Pkey> generate_pkey(KeyAlgorithm algorithm) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(algorithm == KeyAlgorithm::Rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519,
                                  nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      (algorithm == KeyAlgorithm::Rsa &&
       EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kRsaKeyBits) <= 0) ||
      EVP_PKEY_keygen(ctx.get(), &key) <= 0)
    return make_error(ErrorKind::Temporary, "key generation failed");
  return Pkey(key);
}

}  // namespace

std::string_view key_type_name(KeyAlgorithm a) {
  return a == KeyAlgorithm::Rsa ? "rsa" : "ed25519";
}

std::string_view signature_algorithm(KeyAlgorithm a) {
  return a == KeyAlgorithm::Rsa ? "rsa-sha256" : "ed25519-sha256";
}

std::string DkimKey::dns_record() const {
  return "v=DKIM1; k=" + std::string(key_type_name(algorithm)) + "; p=" + public_key;
}

bool valid_key_domain(std::string_view domain) {
  return ldh_labels(domain, true) && domain.find('.') != std::string_view::npos;
}

bool valid_selector(std::string_view selector) {
  return ldh_labels(selector, false) && selector.size() <= 63;
}

std::string default_selector(KeyAlgorithm algorithm, int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  return std::string(key_type_name(algorithm)) + "-" + date;
}

Result<DkimKey> describe_key(std::string_view private_pem) {
  Pkey key = load_private_key(private_pem);
  if (!key) return make_error(ErrorKind::Invalid, "not a PEM private key");
  DkimKey k;
  k.private_pem = std::string(private_pem);
  k.bits = EVP_PKEY_get_bits(key.get());
  if (EVP_PKEY_get_id(key.get()) == EVP_PKEY_ED25519) {
    k.algorithm = KeyAlgorithm::Ed25519;
    unsigned char raw[64];
    size_t n = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key.get(), raw, &n) != 1)
      return make_error(ErrorKind::Invalid, "bad Ed25519 key");
    k.public_key = base64(raw, n);
  } else if (EVP_PKEY_get_id(key.get()) == EVP_PKEY_RSA) {
    k.algorithm = KeyAlgorithm::Rsa;
    int n = i2d_PUBKEY(key.get(), nullptr);
    if (n <= 0) return make_error(ErrorKind::Invalid, "bad RSA key");
    std::string der(static_cast<size_t>(n), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    i2d_PUBKEY(key.get(), &p);
    k.public_key = base64(reinterpret_cast<const unsigned char*>(der.data()), der.size());
  } else {
    return make_error(ErrorKind::Invalid, "neither an RSA nor an Ed25519 key");
  }
  return k;
}

Result<DkimKey> DkimKeyStore::generate(std::string_view domain, std::string_view selector,
                                       KeyAlgorithm algorithm) {
  if (!valid_key_domain(domain))
    return make_error(ErrorKind::Invalid, "bad domain \"" + std::string(domain) + "\"");
  if (!valid_selector(selector))
    return make_error(ErrorKind::Invalid, "bad selector \"" + std::string(selector) + "\"");
  const fs::path owner = dir_.parent_path();
  if (auto r = make_dir(dir_, owner); !r) return r.error();
  const fs::path domain_dir = dir_ / std::string(domain);
  if (auto r = make_dir(domain_dir, owner); !r) return r.error();
  const fs::path file = domain_dir / (std::string(selector) + ".pem");
  std::error_code ec;
  if (fs::exists(file, ec))
    return make_error(ErrorKind::Exists, "selector " + std::string(selector) + " of " +
                                             std::string(domain) + " exists");
  auto key = generate_pkey(algorithm);
  if (!key) return key.error();
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(ErrorKind::Temporary, "cannot write the key as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  if (auto r = write_file(file, pem, owner); !r) return r.error();

  // The first key of its algorithm signs at once.
  auto existing = keys_of(domain);
  if (!existing) return existing.error();
  bool has_active = false;
  for (const DkimKey& k : *existing)
    has_active |= k.active && k.algorithm == algorithm && k.selector != selector;
  if (!has_active)
    if (auto r = activate(domain, selector); !r) return r.error();
  auto all = keys_of(domain);
  if (!all) return all.error();
  for (DkimKey& k : *all)
    if (k.selector == selector) return std::move(k);
  return make_error(ErrorKind::NotFound, "the new key vanished");
}

Result<std::vector<std::string>> DkimKeyStore::active_selectors(std::string_view domain) const {
  auto text = read_file(dir_ / std::string(domain) / "active");
  std::vector<std::string> out;
  if (!text) return out;  // none yet
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line))
    if (valid_selector(line)) out.push_back(line);
  return out;
}

Result<void> DkimKeyStore::write_active(std::string_view domain,
                                        const std::vector<std::string>& selectors) {
  std::string text;
  for (const auto& s : selectors) text += s + "\n";
  return write_file(dir_ / std::string(domain) / "active", text, dir_.parent_path());
}

Result<std::vector<DkimKey>> DkimKeyStore::keys_of(std::string_view domain) const {
  std::vector<DkimKey> out;
  if (!valid_key_domain(domain))
    return make_error(ErrorKind::Invalid, "bad domain \"" + std::string(domain) + "\"");
  const fs::path domain_dir = dir_ / std::string(domain);
  std::error_code ec;
  if (!fs::is_directory(domain_dir, ec)) return out;
  auto active = active_selectors(domain);
  if (!active) return active.error();
  for (const auto& entry : fs::directory_iterator(domain_dir, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".pem") continue;
    std::string selector = p.stem().string();
    if (!valid_selector(selector)) continue;
    auto pem = read_file(p);
    if (!pem) return pem.error();
    auto key = describe_key(*pem);
    if (!key) return make_error(ErrorKind::Corrupt, p.string() + ": " + key.error().message);
    key->domain = std::string(domain);
    key->selector = selector;
    key->active = std::find(active->begin(), active->end(), selector) != active->end();
    struct stat st;
    if (::stat(p.c_str(), &st) == 0) key->created = st.st_mtime;
    out.push_back(std::move(*key));
  }
  std::sort(out.begin(), out.end(),
            [](const DkimKey& a, const DkimKey& b) { return a.selector < b.selector; });
  return out;
}

Result<std::vector<DkimKey>> DkimKeyStore::list() const {
  std::vector<DkimKey> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  std::vector<std::string> domains;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    if (entry.is_directory() && valid_key_domain(entry.path().filename().string()))
      domains.push_back(entry.path().filename().string());
  std::sort(domains.begin(), domains.end());
  for (const auto& d : domains) {
    auto keys = keys_of(d);
    if (!keys) return keys.error();
    for (auto& k : *keys) out.push_back(std::move(k));
  }
  return out;
}

Result<void> DkimKeyStore::activate(std::string_view domain, std::string_view selector) {
  auto keys = keys_of(domain);
  if (!keys) return keys.error();
  const DkimKey* target = nullptr;
  for (const DkimKey& k : *keys)
    if (k.selector == selector) target = &k;
  if (!target)
    return make_error(ErrorKind::NotFound,
                      "no key " + std::string(selector) + " for " + std::string(domain));
  // One signing key per algorithm: the target replaces the active key of its algorithm.
  std::vector<std::string> active;
  for (const DkimKey& k : *keys)
    if (k.active && k.algorithm != target->algorithm) active.push_back(k.selector);
  active.push_back(target->selector);
  return write_active(domain, active);
}

Result<void> DkimKeyStore::retire(std::string_view domain, std::string_view selector) {
  auto keys = keys_of(domain);
  if (!keys) return keys.error();
  for (const DkimKey& k : *keys) {
    if (k.selector != selector) continue;
    if (k.active)
      return make_error(ErrorKind::Invalid, "key " + std::string(selector) +
                                                " signs; activate another key of its algorithm "
                                                "first");
    const fs::path file = dir_ / std::string(domain) / (std::string(selector) + ".pem");
    if (::unlink(file.c_str()) != 0) return io_error("cannot remove", file);
    return {};
  }
  return make_error(ErrorKind::NotFound,
                    "no key " + std::string(selector) + " for " + std::string(domain));
}

}  // namespace mail::mailauth
