// The SEARCH, SORT and THREAD argument readers (query.h) over arguments as the command
// parser hands them over.
#include "imapd/search/query.h"

#include <gtest/gtest.h>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser.h"

namespace mail::imapd::search {
namespace {

imap::Command command(std::string_view line, imap::ArgParser parse) {
  imap::Reader r(line);
  auto head = imap::parse_command_head(r);
  auto parsed = imap::parse_command_arguments(r, std::get<imap::CommandHead>(head), parse);
  return std::get<imap::Command>(parsed);
}

std::variant<Program, QueryError> search(std::string_view keys) {
  auto c = command("a SEARCH " + std::string(keys) + "\r\n", imap::args::search);
  return parse_search(std::get<imap::SearchArgs>(c.args));
}

TEST(QueryParse, SearchKeysAndNeeds) {
  auto p = search("OR FROM x (SEEN UID 1:3) NOT BODY y");
  ASSERT_TRUE(std::holds_alternative<Program>(p));
  const Program& prog = std::get<Program>(p);
  EXPECT_TRUE(prog.needs.body);
  EXPECT_FALSE(prog.needs.modseq);
  ASSERT_EQ(prog.root.children.size(), 2u);
  EXPECT_EQ(prog.root.children[0].kind, Key::Kind::Or);
  EXPECT_EQ(prog.root.children[1].kind, Key::Kind::Not);
  EXPECT_TRUE(std::get<Program>(search("MODSEQ 5")).needs.modseq);
  EXPECT_FALSE(std::get<Program>(search("FLAGGED LARGER 5")).needs.body);
}

TEST(QueryParse, ReturnOptions) {
  auto p = search("RETURN (MIN COUNT SAVE) ALL");
  ASSERT_TRUE(std::holds_alternative<Program>(p));
  const ReturnOptions& r = std::get<Program>(p).ret;
  EXPECT_TRUE(r.esearch && r.min && r.count && r.save);
  EXPECT_FALSE(r.max || r.all);
}

// RFC 5267 section 4.4: PARTIAL lo:hi, either order; one PARTIAL, and not with ALL.
TEST(QueryParse, PartialRange) {
  EXPECT_FALSE(parse_partial_range("1"));
  EXPECT_FALSE(parse_partial_range("1:*"));
  EXPECT_FALSE(parse_partial_range("*:1"));
  EXPECT_FALSE(parse_partial_range("0:3"));
  EXPECT_FALSE(parse_partial_range("1:2,4:5"));
  EXPECT_FALSE(parse_partial_range(":3"));
  EXPECT_FALSE(parse_partial_range("1:4294967296"));
  auto r = parse_partial_range("4:2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 2u);
  EXPECT_EQ(r->last, 4u);
  r = parse_partial_range("1:4294967295");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->last, 4294967295u);

  auto p = search("RETURN (PARTIAL 4:2 COUNT) ALL");
  ASSERT_TRUE(std::holds_alternative<Program>(p));
  const ReturnOptions& ret = std::get<Program>(p).ret;
  ASSERT_TRUE(ret.partial);
  EXPECT_EQ(ret.partial->first, 2u);
  EXPECT_TRUE(ret.count && !ret.all);
  for (const char* bad :
       {"RETURN (PARTIAL 1) ALL", "RETURN (PARTIAL 1:*) ALL", "RETURN (PARTIAL *:1) ALL",
        "RETURN (PARTIAL) ALL", "RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL",
        "RETURN (ALL PARTIAL 1:2) ALL", "RETURN (PARTIAL (1:2)) ALL"})
    EXPECT_TRUE(std::holds_alternative<QueryError>(search(bad))) << bad;
}

TEST(QueryParse, UpdateAndContext) {
  auto p = search("RETURN (UPDATE) SEEN");
  ASSERT_TRUE(std::holds_alternative<Program>(p));
  const ReturnOptions& r = std::get<Program>(p).ret;
  EXPECT_TRUE(r.esearch && r.update);
  EXPECT_FALSE(r.all);  // UPDATE alone returns no ALL (only RETURN () means ALL)
  EXPECT_TRUE(std::get<Program>(search("RETURN (CONTEXT COUNT) SEEN")).ret.count);
  EXPECT_TRUE(std::holds_alternative<QueryError>(search("RETURN (UPDATE UPDATE) SEEN")));
  imap::Command c =
      command("a SORT RETURN (PARTIAL 1:5 UPDATE) (ARRIVAL) UTF-8 ALL\r\n", imap::args::generic);
  auto q = parse_sort(std::get<imap::GenericArgs>(c.args).args);
  ASSERT_TRUE(std::holds_alternative<SortQuery>(q));
  EXPECT_TRUE(std::get<SortQuery>(q).program.ret.update);
  EXPECT_EQ(std::get<SortQuery>(q).program.ret.partial->last, 5u);
}

TEST(QueryParse, Refusals) {
  for (const char* bad : {"NOSUCH", "SENTON 31-Foo-2024", "LARGER x", "OR SEEN", "NOT", "UID",
                          "KEYWORD", "HEADER Subject"}) {
    auto p = search(bad);
    ASSERT_TRUE(std::holds_alternative<QueryError>(p)) << bad;
    EXPECT_EQ(std::get<QueryError>(p).kind, QueryError::Kind::Bad) << bad;
  }
  auto p = search("CHARSET KOI8-R ALL");
  ASSERT_TRUE(std::holds_alternative<QueryError>(p));
  EXPECT_EQ(std::get<QueryError>(p).kind, QueryError::Kind::BadCharset);
  std::string deep;
  for (int i = 0; i <= kMaxKeyDepth; ++i) deep += "NOT ";
  EXPECT_TRUE(std::holds_alternative<QueryError>(search(deep + "SEEN")));
}

TEST(QueryParse, Dates) {
  EXPECT_EQ(parse_search_date("1-Jan-1970"), 0);
  EXPECT_EQ(parse_search_date("02-Jan-1970"), 1);
  EXPECT_EQ(parse_search_date("1-Mar-2024"), 19783);
  EXPECT_FALSE(parse_search_date("30-Feb-2024"));
  EXPECT_FALSE(parse_search_date("1-Jan-24"));
}

TEST(QueryParse, SortAndThread) {
  auto c = command("a SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n", imap::args::generic);
  auto s = parse_sort(std::get<imap::GenericArgs>(c.args).args);
  ASSERT_TRUE(std::holds_alternative<SortQuery>(s));
  const auto& q = std::get<SortQuery>(s);
  ASSERT_EQ(q.criteria.size(), 2u);
  EXPECT_EQ(q.criteria[0].key, SortKey::Date);
  EXPECT_TRUE(q.criteria[0].reverse);
  EXPECT_FALSE(q.criteria[1].reverse);
  c = command("a SORT (REVERSE) UTF-8 ALL\r\n", imap::args::generic);
  EXPECT_TRUE(
      std::holds_alternative<QueryError>(parse_sort(std::get<imap::GenericArgs>(c.args).args)));
  c = command("a THREAD REFERENCES UTF-8 SEEN\r\n", imap::args::generic);
  auto t = parse_thread(std::get<imap::GenericArgs>(c.args).args);
  ASSERT_TRUE(std::holds_alternative<ThreadQuery>(t));
  EXPECT_EQ(std::get<ThreadQuery>(t).algorithm, ThreadAlgorithm::References);
}

}  // namespace
}  // namespace mail::imapd::search
