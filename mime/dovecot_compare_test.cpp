// ENVELOPE, BODY and BODYSTRUCTURE of every corpus message (testdata/corpus/*.eml)
// compared byte for byte with what Dovecot 2.3.19 answered for the same message
// (testdata/expected/, recorded by testdata/record_dovecot.py against the reference peers).
// A few answers differ on purpose: testdata/deliberate/ holds ours, its README says why.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "mime/body_from_structure.h"
#include "mime/imap_render.h"
#include "mime/structure.h"

namespace mail::mime {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Dovecot's APPEND stores a bare CR as CRLF before it parses anything; compare what it
// parsed, i.e. the message after the same rewrite. (Our smtpd refuses bare CR; whether
// imapd's APPEND rewrites it too is the store's choice, the parser reads what it gets.)
std::string normalize_bare_cr(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    out += in[i];
    if (in[i] == '\r' && (i + 1 == in.size() || in[i + 1] != '\n')) out += '\n';
  }
  return out;
}

TEST(DovecotCompare, EveryCorpusMessageRendersAsDovecotDoes) {
  fs::path dir = MIME_TESTDATA_DIR;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "corpus"))
    if (e.path().extension() == ".eml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 30u);
  size_t compared = 0;
  for (const fs::path& f : files) {
    std::string msg = normalize_bare_cr(read_file(f));
    ParsedMessage parsed = parse_message(msg);
    std::map<std::string, std::string> ours = {
        {"ENVELOPE", render_envelope(&*parsed.parts[0].envelope)},
        {"BODY", render_body_structure(parsed, false)},
        {"BODYSTRUCTURE", render_body_structure(parsed, true)},
    };
    // The blob keeps BODYSTRUCTURE only: BODY must be derivable from it.
    EXPECT_EQ(body_from_bodystructure(ours["BODYSTRUCTURE"]), ours["BODY"]) << f.stem();
    for (const auto& [item, got] : ours) {
      fs::path expected_file = dir / "expected" / (f.stem().string() + "." + item);
      ASSERT_TRUE(fs::exists(expected_file)) << expected_file;
      std::string expected = read_file(expected_file);
      // Deliberate differences (testdata/deliberate/README.md says why): our answer.
      fs::path ours_file = dir / "deliberate" / expected_file.filename();
      if (fs::exists(ours_file)) {
        EXPECT_NE(got, expected) << f.stem() << " " << item << ": equal to Dovecot now";
        expected = read_file(ours_file);
      }
      EXPECT_EQ(got, expected) << f.stem() << " " << item;
      ++compared;
    }
  }
  EXPECT_EQ(compared, files.size() * 3);
}

}  // namespace
}  // namespace mail::mime
