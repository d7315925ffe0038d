// BDAT message assembly (RFC 3030 2); see chunk_reader.h for the contract and why text
// messages must use CRLF. Input is untrusted and arbitrarily split.
#include "smtpd/protocol/chunk_reader.h"

#include <utility>

namespace mail::smtp {

ChunkReader::ChunkReader(uint64_t max_size, bool binary) : max_size_(max_size), binary_(binary) {}

void ChunkReader::fail() {
  std::string().swap(message_);  // the transaction is over: give the memory back
}

void ChunkReader::check_line_endings(std::string_view bytes) {
  size_t i = 0;
  if (after_cr_ && !bytes.empty()) {
    if (bytes[0] != '\n') bare_ = true;
    after_cr_ = false;
    if (bytes[0] == '\n') i = 1;
  }
  while (!bare_) {
    const size_t at = bytes.find_first_of("\r\n", i);
    if (at == std::string_view::npos) return;
    if (bytes[at] == '\n') {  // an LF not preceded by CR (that case is skipped below)
      bare_ = true;
      return;
    }
    if (at + 1 == bytes.size()) {  // CR at the end of what we have: wait for the next octet
      after_cr_ = true;
      return;
    }
    if (bytes[at + 1] != '\n') {
      bare_ = true;
      return;
    }
    i = at + 2;
  }
}

void ChunkReader::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  size_ += bytes.size();
  if (bare_) return;
  // Line endings are checked even past the size limit, so that the reply does not depend
  // on how the network split the octets: a bare CR/LF anywhere in the chunk wins.
  if (!binary_) check_line_endings(bytes);
  if (size_ > max_size_) too_big_ = true;
  if (failed()) {
    fail();
    return;
  }
  message_.append(bytes);
}

void ChunkReader::finish() {
  if (!binary_ && after_cr_ && !bare_) {
    bare_ = true;
    fail();
  }
  after_cr_ = false;
}

Reply ChunkReader::error() const {
  if (bare_) return replies::bare_line_ending();
  if (too_big_) return replies::message_too_big();
  return replies::local_error();
}

}  // namespace mail::smtp
