// URLFETCH's BINARY and BODYPARTSTRUCTURE forms, on imaptest's urlauth-binary message,
// against the replies Dovecot gives (imaptest src/tests/urlauth-binary).
#include "imapd/urlauth/part_forms.h"

#include <gtest/gtest.h>

#include "mime/section.h"

namespace mail::imapd::urlauth {
namespace {

std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const std::string kMessage = crlf(
    "From: user@domain.org\n"
    "Date: Sat, 24 Mar 2007 23:00:00 +0200\n"
    "Mime-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"foo\n bar\"\n"
    "\n"
    "Root MIME prologue\n"
    "\n"
    "--foo bar\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: sub@domain.org\n"
    "Date: Sun, 12 Aug 2012 12:34:56 +0300\n"
    "Subject: submsg\n"
    "Content-Type: multipart/alternative; boundary=\"sub1\"\n"
    "\n"
    "Sub MIME prologue\n"
    "--sub1\n"
    "Content-Type: text/x-myown; charset=us-ascii\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "aGVs\n"
    "bG8gd29y\n"
    "bGQ=\n"
    "\n"
    "--sub1\n"
    "Content-Type: text/x-myown; charset=us-ascii\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "  aGVs    \n"
    " bG8g  \n"
    "   d29y  \t \n"
    "    bGQ= \n"
    "\n"
    "\n"
    "--sub1--\n"
    "Sub MIME epilogue\n"
    "\n"
    "--foo bar--\n"
    "Root MIME epilogue\n");

const std::string kEnvelope =
    "(\"Sun, 12 Aug 2012 12:34:56 +0300\" \"submsg\" ((NIL NIL \"sub\" \"domain.org\")) "
    "((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")) NIL NIL NIL NIL NIL)";

class PartFormsTest : public ::testing::Test {
 protected:
  int part(std::vector<uint32_t> number) { return mime::find_part(summary_, number); }
  mime::MessageSummary summary_ = mime::analyze(kMessage);
};

TEST_F(PartFormsTest, StructureOfAMessagePartAndALeaf) {
  EXPECT_EQ(part_structure(kMessage, summary_, part({1}), false),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 437 " + kEnvelope +
                " ((\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 22 3 NIL "
                "NIL NIL NIL)(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" "
                "47 5 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"sub1\") NIL NIL NIL) 26 "
                "NIL NIL NIL NIL)");
  EXPECT_EQ(part_structure(kMessage, summary_, part({1, 1}), false),
            "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 22 3 NIL NIL "
            "NIL NIL)");
  EXPECT_EQ(part_structure(kMessage, summary_, 0, false), summary_.bodystructure);
}

TEST_F(PartFormsTest, StructureOfTheBinaryForm) {
  EXPECT_EQ(part_structure(kMessage, summary_, part({1}), true),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 390 " + kEnvelope +
                " ((\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 11 0 NIL "
                "NIL NIL NIL)(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" "
                "11 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"sub1\") NIL NIL NIL) 18 "
                "NIL NIL NIL NIL)");
  EXPECT_EQ(part_structure(kMessage, summary_, part({1, 2}), true),
            "(\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"base64\" 11 0 NIL NIL "
            "NIL NIL)");
}

TEST_F(PartFormsTest, BinaryFormDecodesBase64LeavesBelowAPart) {
  EXPECT_EQ(binary_form(kMessage, summary_, part({1, 1})), "hello world");
  EXPECT_EQ(binary_form(kMessage, summary_, part({1, 2})), "hello world");
  const std::string leaf_header =
      "Content-Type: text/x-myown; charset=us-ascii\r\nContent-Transfer-Encoding: binary\r\n\r\n";
  EXPECT_EQ(binary_form(kMessage, summary_, part({1})),
            crlf("From: sub@domain.org\n"
                 "Date: Sun, 12 Aug 2012 12:34:56 +0300\n"
                 "Subject: submsg\n"
                 "Content-Type: multipart/alternative; boundary=\"sub1\"\n"
                 "\n"
                 "Sub MIME prologue\n"
                 "--sub1\n") +
                leaf_header + "hello world\r\n--sub1\r\n" + leaf_header +
                crlf("hello world\n--sub1--\nSub MIME epilogue\n"));
}

}  // namespace
}  // namespace mail::imapd::urlauth
