// Reply lines (RFC 5321 4.2):
//   Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
//   Reply-code = %x32-35 %x30-35 %x30-39
// The second digit is checked loosely (0-9): servers in the field use x6x-x9x rarely, and
// a code we do not know is still a reply of its class.
#include "queued/relay/protocol/reply_parser.h"

namespace mail::relay {
namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// The code of a reply line, or 0 when the line does not start like one.
int line_code(std::string_view line) {
  if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) return 0;
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code < 200 || code > 599) return 0;
  return code;
}

// 1-3 digits starting at s[i]; advances i. False when there are none or more than three.
bool digits_1_3(std::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && digit(s[i]) && i - start < 4) ++i;
  return i > start && i - start <= 3;
}

}  // namespace

bool split_enhanced_code(int code, std::string_view text, std::string& enhanced,
                         std::string& rest) {
  if (text.size() < 5) return false;
  const char cls = text[0];
  if ((cls != '2' && cls != '4' && cls != '5') || cls - '0' != code / 100 || text[1] != '.')
    return false;
  size_t i = 2;
  if (!digits_1_3(text, i) || i >= text.size() || text[i] != '.') return false;
  ++i;
  if (!digits_1_3(text, i)) return false;
  if (i < text.size() && text[i] != ' ') return false;
  enhanced.assign(text.substr(0, i));
  while (i < text.size() && text[i] == ' ') ++i;
  rest.assign(text.substr(i));
  return true;
}

ReplyParser::Status ReplyParser::feed(std::string_view line) {
  if (!error_.empty()) return Status::Malformed;
  if (complete_) {  // the caller did not take() the previous reply: start afresh
    complete_ = false;
    code_ = 0;
    lines_.clear();
  }
  const int code = line_code(line);
  if (code == 0) {
    error_ = "malformed reply line";
    return Status::Malformed;
  }
  if (code_ != 0 && code != code_) {
    error_ = "reply code changed within a multi-line reply";
    return Status::Malformed;
  }
  bool last = true;
  if (line.size() > 3) {
    if (line[3] == '-') {
      last = false;
    } else if (line[3] != ' ') {
      error_ = "malformed reply line";
      return Status::Malformed;
    }
  }
  if (lines_.size() >= max_lines_) {
    error_ = "reply longer than " + std::to_string(max_lines_) + " lines";
    return Status::Malformed;
  }
  code_ = code;
  lines_.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  if (!last) return Status::NeedMore;
  complete_ = true;
  return Status::Complete;
}

smtp::Reply ReplyParser::take() {
  smtp::Reply reply;
  reply.code = code_;
  // RFC 2034 3: the enhanced code leads the text of each line; take it from the first
  // line and strip the same code from the others.
  std::string rest;
  if (!lines_.empty() && split_enhanced_code(code_, lines_[0], reply.enhanced, rest)) {
    lines_[0] = rest;
    for (size_t i = 1; i < lines_.size(); ++i) {
      std::string enhanced;
      if (split_enhanced_code(code_, lines_[i], enhanced, rest) && enhanced == reply.enhanced)
        lines_[i] = rest;
    }
  }
  reply.lines = std::move(lines_);
  lines_.clear();
  code_ = 0;
  complete_ = false;
  return reply;
}

ParsedReplies parse_replies(std::string_view bytes, size_t max_lines) {
  ParsedReplies out;
  ReplyParser parser(max_lines);
  while (!bytes.empty()) {
    const size_t lf = bytes.find('\n');
    std::string_view line = bytes.substr(0, lf);
    bytes.remove_prefix(lf == std::string_view::npos ? bytes.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    switch (parser.feed(line)) {
      case ReplyParser::Status::Complete:
        out.replies.push_back(parser.take());
        break;
      case ReplyParser::Status::NeedMore:
        break;
      case ReplyParser::Status::Malformed:
        out.malformed = true;
        out.error = parser.error();
        return out;
    }
  }
  return out;
}

std::string reply_text(const smtp::Reply& reply, size_t max) {
  std::string out = std::to_string(reply.code);
  if (!reply.enhanced.empty()) out += " " + reply.enhanced;
  for (const auto& line : reply.lines) {
    if (line.empty()) continue;
    out += ' ';
    out += line;
  }
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

}  // namespace mail::relay
