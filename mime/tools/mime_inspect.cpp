// mime_inspect FILE [ITEM]: prints what the mime library makes of a message, for looking
// at corpus files by hand. ITEM is ENVELOPE, BODY or BODYSTRUCTURE (raw bytes, no
// newline added); without it, all three and the part table.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "mime/imap_render.h"
#include "mime/structure.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mime_inspect FILE [ENVELOPE|BODY|BODYSTRUCTURE]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string msg = s.str();
  auto parsed = mail::mime::parse_message(msg);
  std::string env = mail::mime::render_envelope(&*parsed.parts[0].envelope);
  std::string body = mail::mime::render_body_structure(parsed, false);
  std::string bs = mail::mime::render_body_structure(parsed, true);
  if (argc > 2) {
    std::string item = argv[2];
    std::cout << (item == "ENVELOPE" ? env : item == "BODY" ? body : bs);
    return 0;
  }
  std::cout << "ENVELOPE " << env << "\nBODY " << body << "\nBODYSTRUCTURE " << bs << "\n";
  for (size_t i = 0; i < parsed.parts.size(); ++i) {
    const auto& p = parsed.parts[i];
    std::cout << "part " << i << " parent=" << p.parent << " flags=" << p.flags << " header=["
              << p.header_begin << "," << p.header_end << ") body=[" << p.body_begin << ","
              << p.body_end << ") size=" << parsed.body_size(p) << " lines=" << parsed.body_lines(p)
              << "\n";
  }
  return 0;
}
