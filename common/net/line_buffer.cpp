#include "common/net/line_buffer.h"

namespace mail::net {

void LineBuffer::compact() {
  if (start_ == 0) return;
  if (start_ >= buf_.size()) {
    buf_.clear();
  } else {
    buf_.erase(0, start_);
  }
  start_ = 0;
}

std::span<char> LineBuffer::prepare(size_t n) {
  if (start_ > 0 && (start_ >= buf_.size() || start_ > buf_.size() / 2)) compact();
  size_t used = buf_.size();
  buf_.resize(used + n);
  reserved_from_ = used;
  return {buf_.data() + used, n};
}

void LineBuffer::commit(size_t n) {
  buf_.resize(reserved_from_ + n);
}

void LineBuffer::append(std::string_view bytes) {
  if (start_ > 0 && start_ > buf_.size() / 2) compact();
  buf_.append(bytes);
}

LineBuffer::Status LineBuffer::next_line(std::string& line) {
  for (;;) {
    std::string_view d = data();
    size_t lf = d.find('\n');
    if (discarding_) {
      if (lf == std::string_view::npos) {
        start_ = buf_.size();
        return Status::NeedMore;
      }
      consume(lf + 1);
      discarding_ = false;
      continue;
    }
    if (lf == std::string_view::npos) {
      if (d.size() >= max_line_) {
        // Longer than allowed and still no end in sight: report once, then skip the rest.
        start_ = buf_.size();
        discarding_ = true;
        return Status::TooLong;
      }
      return Status::NeedMore;
    }
    if (lf + 1 > max_line_) {
      consume(lf + 1);
      return Status::TooLong;
    }
    bare_lf_ = !(lf > 0 && d[lf - 1] == '\r');
    line.assign(d.substr(0, bare_lf_ ? lf : lf - 1));
    consume(lf + 1);
    return Status::Line;
  }
}

bool LineBuffer::take(size_t n, std::string& out) {
  if (size() < n) return false;
  out.assign(data().substr(0, n));
  consume(n);
  return true;
}

void LineBuffer::shrink(size_t capacity) {
  compact();
  if (buf_.capacity() > buf_.size() + capacity) {
    std::string smaller;
    smaller.reserve(buf_.size() + capacity);
    smaller.assign(buf_);
    buf_.swap(smaller);
  }
}

void LineBuffer::clear() {
  buf_.clear();
  start_ = 0;
  discarding_ = false;
}

}  // namespace mail::net
