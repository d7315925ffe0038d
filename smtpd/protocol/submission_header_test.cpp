// The header reading of message submission (submission_header.h): which author addresses
// an authenticated user's message names, in every form RFC 5322 allows, and the Date and
// Message-ID fields the MSA adds when they are missing (RFC 6409 8.2, 8.3).
#include "smtpd/protocol/submission_header.h"

#include <gtest/gtest.h>

namespace mail::smtp {
namespace {

using Authors = std::vector<std::string>;

SubmissionHeader read(std::string_view message, size_t max = 10) {
  return inspect_submission_header(message, max);
}

TEST(SubmissionHeader, PlainFromWithDateAndMessageId) {
  const auto h = read(
      "From: Alice <alice@example.test>\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
      "Message-ID: <1@x>\r\nSubject: hi\r\n\r\nFrom: body@example.test\r\n");
  EXPECT_EQ(h.authors, Authors{"alice@example.test"});  // the body's "From:" is not a field
  EXPECT_TRUE(h.has_date);
  EXPECT_TRUE(h.has_message_id);
  EXPECT_FALSE(h.too_many_authors);
  EXPECT_EQ(submission_fixups(h, "D", "id@h"), "");
}

TEST(SubmissionHeader, FormsOfTheAuthorFields) {
  // Folded, a comment name, bare LF line ends, a case-varied field name, several
  // mailboxes, a group, and Sender: too.
  const auto h = read(
      "fRoM: \"Alice, A.\"\n <alice@example.test>, bob@example.test (Bob)\n"
      "Sender: team: carol@example.test, \"d e\"@example.test;\n\nbody");
  EXPECT_EQ(h.authors, (Authors{"alice@example.test", "bob@example.test", "carol@example.test",
                                "d e@example.test"}));
  EXPECT_FALSE(h.has_date);
  EXPECT_FALSE(h.has_message_id);
}

TEST(SubmissionHeader, UnreadableMailboxesAreKeptEmpty) {
  // An empty entry makes the check refuse instead of overlooking a mailbox.
  EXPECT_EQ(read("From: alice\r\n\r\n").authors, Authors{""});
  EXPECT_EQ(read("From: <alice@>\r\n\r\n").authors, Authors{""});
  EXPECT_EQ(read("From: Alice <alice@example.test\r\n\r\n").authors, Authors{""});
  EXPECT_EQ(read("From: \r\n\r\n").authors, Authors{});
  EXPECT_EQ(read("Subject: no author\r\n\r\n").authors, Authors{});
}

TEST(SubmissionHeader, AuthorLimit) {
  std::string list = "From: a1@x.test";
  for (int i = 2; i <= 4; ++i) list += ", a" + std::to_string(i) + "@x.test";
  const std::string msg = list + "\r\n\r\n";
  auto h = read(msg, 4);
  EXPECT_FALSE(h.too_many_authors);
  EXPECT_EQ(h.authors.size(), 4u);
  h = read(msg, 3);
  EXPECT_TRUE(h.too_many_authors);
  EXPECT_EQ(h.authors.size(), 3u);
  // Sender: counts with From:.
  h = read("From: a@x.test\r\nSender: b@x.test\r\n\r\n", 1);
  EXPECT_TRUE(h.too_many_authors);
}

TEST(SubmissionHeader, FixupsForMissingFields) {
  const auto h = read("From: a@x.test\r\nSubject: s\r\n\r\nbody\r\n");
  EXPECT_EQ(submission_fixups(h, "Tue, 01 Dec 2026 13:06:10 +0000", "Q1@mail.example.test"),
            "Date: Tue, 01 Dec 2026 13:06:10 +0000\r\n"
            "Message-ID: <Q1@mail.example.test>\r\n");
  const auto dated = read("Date: whatever\r\n\r\n");
  EXPECT_EQ(submission_fixups(dated, "D", "i@h"), "Message-ID: <i@h>\r\n");
  // A message without a header section at all still gets both.
  EXPECT_EQ(submission_fixups(read("\r\nbody"), "D", "i@h"), "Date: D\r\nMessage-ID: <i@h>\r\n");
}

TEST(SubmissionHeader, SenderAddedWhenTheAuthorIsSomeoneElse) {
  // RFC 6409 8.1: a shared mailbox's address in From: gets the submitter as Sender:.
  const auto shared = read("From: Team <team@x.test>\r\n\r\n");
  EXPECT_EQ(shared.from, Authors{"team@x.test"});
  EXPECT_FALSE(shared.has_sender);
  EXPECT_EQ(submission_fixups(shared, "D", "i@h", "alice@x.test"),
            "Sender: <alice@x.test>\r\nDate: D\r\nMessage-ID: <i@h>\r\n");
  // The submitter's own address (any case): nothing to add.
  const auto own = read("From: Alice@X.test\r\nDate: d\r\nMessage-ID: <1@x>\r\n\r\n");
  EXPECT_EQ(submission_fixups(own, "D", "i@h", "alice@x.test"), "");
  // Several authors (RFC 5322 3.6.2 requires Sender:), even when one is the submitter.
  const auto several =
      read("From: alice@x.test, bob@x.test\r\nDate: d\r\nMessage-ID: <1@x>\r\n\r\n");
  EXPECT_EQ(submission_fixups(several, "D", "i@h", "alice@x.test"), "Sender: <alice@x.test>\r\n");
  // A Sender: already there is kept (the session checked it is the user's); no From: at
  // all, or no submitter: no Sender: either.
  const auto with_sender =
      read("From: team@x.test\r\nSender: alias@x.test\r\nDate: d\r\nMessage-ID: <1@x>\r\n\r\n");
  EXPECT_TRUE(with_sender.has_sender);
  EXPECT_EQ(with_sender.from, Authors{"team@x.test"});
  EXPECT_EQ(submission_fixups(with_sender, "D", "i@h", "alice@x.test"), "");
  EXPECT_EQ(submission_fixups(read("Subject: s\r\n\r\n"), "D", "i@h", "alice@x.test"),
            "Date: D\r\nMessage-ID: <i@h>\r\n");
  EXPECT_EQ(submission_fixups(shared, "D", "i@h"), "Date: D\r\nMessage-ID: <i@h>\r\n");
}

}  // namespace
}  // namespace mail::smtp
