// DeflateStream over zlib; see deflate_stream.h. Input: compressed octets from the peer.
#include "common/net/deflate_stream.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>

namespace mail::net {

struct DeflateStream::State {
  z_stream out{};  // deflate: what we send
  z_stream in{};   // inflate: what the peer sends
  bool out_ready = false;
  bool in_ready = false;
  size_t allocated = 0;  // zlib's allocations, both directions
  std::string input;     // received, not yet inflated, from `consumed` on
  size_t consumed = 0;
  size_t reserved_from = std::string::npos;  // receive_space(): where its room starts
  bool output_full = false;                  // the last inflate() filled its buffer: more may wait

  ~State() {
    if (out_ready) deflateEnd(&out);
    if (in_ready) inflateEnd(&in);
  }
};

namespace {

// compress() gives up past this output size (its first guess, deflateBound(), is enough).
constexpr size_t kMaxGrowth = size_t{1} << 30;

// zlib allocations through these count toward memory(); each block carries its size.
constexpr size_t kHeader = alignof(std::max_align_t);

voidpf counted_alloc(voidpf opaque, uInt items, uInt size) {
  const size_t bytes = static_cast<size_t>(items) * size;
  auto* block = static_cast<unsigned char*>(std::malloc(bytes + kHeader));
  if (block == nullptr) return Z_NULL;
  *reinterpret_cast<size_t*>(block) = bytes;
  *static_cast<size_t*>(opaque) += bytes;
  return block + kHeader;
}

void counted_free(voidpf opaque, voidpf address) {
  if (address == Z_NULL) return;
  auto* block = static_cast<unsigned char*>(address) - kHeader;
  *static_cast<size_t*>(opaque) -= *reinterpret_cast<size_t*>(block);
  std::free(block);
}

// Input kept beyond this capacity is given back once inflated.
constexpr size_t kKeptInputCapacity = 16 * 1024;

}  // namespace

DeflateStream::DeflateStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
DeflateStream::~DeflateStream() = default;

std::unique_ptr<DeflateStream> DeflateStream::create() {
  auto state = std::make_unique<State>();
  for (z_stream* z : {&state->out, &state->in}) {
    z->zalloc = counted_alloc;
    z->zfree = counted_free;
    z->opaque = &state->allocated;
  }
  // Negative window bits: raw DEFLATE without a zlib header (RFC 4978 section 4).
  if (deflateInit2(&state->out, kDeflateLevel, Z_DEFLATED, -kDeflateWindowBits, kDeflateMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return nullptr;
  state->out_ready = true;
  if (inflateInit2(&state->in, -kInflateWindowBits) != Z_OK) return nullptr;
  state->in_ready = true;
  return std::unique_ptr<DeflateStream>(new DeflateStream(std::move(state)));
}

bool DeflateStream::compress(std::string& data) {
  if (data.empty()) return true;
  z_stream& z = state_->out;
  std::string out;
  out.resize(deflateBound(&z, data.size()) + 16);
  z.next_in = reinterpret_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  size_t used = 0;
  // Z_SYNC_FLUSH until zlib leaves room unused: then everything is out, ending on a byte
  // boundary, so the peer can inflate all of it without waiting for more.
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(out.size() - used);
    const int rc = ::deflate(&z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    used = out.size() - z.avail_out;
    if (z.avail_out != 0) break;
    // deflateBound() is an upper bound, so this is not reached; the limit also tells g++
    // (a unity build inlines more) that the doubled size cannot overflow.
    if (out.size() > kMaxGrowth) return false;
    out.resize(out.size() * 2);
  }
  out.resize(used);
  data.swap(out);
  return true;
}

void DeflateStream::received(std::string_view compressed) {
  auto room = receive_space(compressed.size());
  std::copy(compressed.begin(), compressed.end(), room.begin());
  received_into(compressed.size());
}

std::span<char> DeflateStream::receive_space(size_t n) {
  State& st = *state_;
  if (st.consumed > 0) {
    st.input.erase(0, st.consumed);
    st.consumed = 0;
  }
  st.reserved_from = st.input.size();
  st.input.resize(st.reserved_from + n);
  return std::span<char>(st.input.data() + st.reserved_from, n);
}

void DeflateStream::received_into(size_t count) {
  State& st = *state_;
  if (st.reserved_from == std::string::npos) return;  // no receive_space() outstanding
  st.input.resize(st.reserved_from + std::min(count, st.input.size() - st.reserved_from));
  st.reserved_from = std::string::npos;
}

std::optional<size_t> DeflateStream::inflate(std::span<char> out) {
  State& st = *state_;
  z_stream& z = st.in;
  z.next_in = reinterpret_cast<Bytef*>(st.input.data() + st.consumed);
  z.avail_in = static_cast<uInt>(st.input.size() - st.consumed);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = ::inflate(&z, Z_SYNC_FLUSH);
  st.consumed = st.input.size() - z.avail_in;
  if (st.consumed == st.input.size()) {
    st.consumed = 0;
    if (st.input.capacity() > kKeptInputCapacity) {
      std::string().swap(st.input);
    } else {
      st.input.clear();
    }
  }
  // Z_BUF_ERROR: no progress possible now (more input needed); not an error.
  if (rc != Z_OK && rc != Z_BUF_ERROR) return std::nullopt;
  st.output_full = z.avail_out == 0 && !out.empty();
  return out.size() - z.avail_out;
}

bool DeflateStream::pending() const {
  return state_->consumed < state_->input.size() || state_->output_full;
}

size_t DeflateStream::memory() const {
  return state_->allocated + state_->input.capacity();
}

}  // namespace mail::net
