// Binary encoding of stored records (store, queue, directory): little helpers that append
// fixed-width big-endian integers and length-prefixed strings, and a reader that refuses
// to run past the end. Big-endian so that encoded integer keys sort numerically in LMDB.
// The reader trusts nothing: a truncated or garbled record makes ok() false.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail {

class Encoder {
 public:
  Encoder& u8(uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Encoder& u32(uint32_t v) { return be(v, 4); }
  Encoder& u64(uint64_t v) { return be(v, 8); }
  Encoder& i64(int64_t v) { return be(static_cast<uint64_t>(v), 8); }
  Encoder& str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  Encoder& raw(std::string_view s) {
    out_.append(s);
    return *this;
  }

  const std::string& bytes() const& { return out_; }
  std::string bytes() && { return std::move(out_); }

 private:
  Encoder& be(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  uint8_t u8() { return static_cast<uint8_t>(be(1)); }
  uint32_t u32() { return static_cast<uint32_t>(be(4)); }
  uint64_t u64() { return be(8); }
  int64_t i64() { return static_cast<int64_t>(be(8)); }
  std::string str() {
    uint32_t n = u32();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }

  // False once any read ran past the end of the input.
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

 private:
  uint64_t be(size_t width) {
    if (!ok_ || in_.size() < width) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(width);
    return v;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace mail
