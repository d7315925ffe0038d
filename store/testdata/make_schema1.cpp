// One-off generator of store/testdata/schema1.dump: run against the schema-1 store code
// (commit before schema 2) to capture a store exactly as that version wrote it. Kept for
// provenance; not built. Usage: make_schema1 DIR && mdb_dump -a DIR > schema1.dump
#include <cstdio>
#include <vector>

#include "store/mail_store.h"

using namespace mail::store;

static void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "failed: %s\n", what);
    std::exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto s = open_lmdb_store(argv[1], StoreOptions{size_t{8} << 20});
  must(s.ok(), "open");
  auto& st = **s;
  must(st.create_account("a@x.org").ok(), "account a");
  must(st.create_account("b@x.org").ok(), "account b");
  must(st.create_mailbox("a@x.org", "Projects/2024").ok(), "mailbox");
  const std::string m1 = "From: one@example.org\r\nSubject: one\r\n\r\nBody one\r\n";
  const std::string m2 = "From: two@example.org\r\nSubject: two\r\n\r\nBody two, longer\r\n";
  const std::string m3 = "Subject: three\r\n\r\n3\r\n";
  const std::string m4 = "Subject: four\r\n\r\nfour\r\n";
  const std::string m5 = "Subject: five\r\n\r\nfive five\r\n";
  // m1 to both accounts (one body, two references); b's copy is \Seen.
  std::vector<Delivery> both{{"a@x.org", "INBOX", {}, "Q1/a@x.org"},
                             {"b@x.org", "INBOX", {kSeen, {}}, "Q1/b@x.org"}};
  must(st.deliver(both, m1, 1700000001).ok(), "m1");
  std::vector<Delivery> a{{"a@x.org", "INBOX", {}, {}}};
  must(st.deliver(a, m2, 1700000002).ok(), "m2");
  must(st.deliver(a, m3, 1700000003).ok(), "m3");
  must(st.deliver(a, m4, 1700000004).ok(), "m4");
  must(st.deliver(a, m5, 1700000005).ok(), "m5");
  std::vector<Delivery> proj{{"a@x.org", "Projects/2024", {kDraft, {"$Work"}}, {}}};
  must(st.deliver(proj, m2, 1700000006).ok(), "m2 proj");
  auto inbox = st.mailbox("a@x.org", "INBOX");
  must(inbox.ok(), "inbox");
  std::vector<uint32_t> u2{2}, u3{3}, u4{4};
  must(st.store_flags(inbox->id, u2, FlagOp::Add, Flags{kSeen | kFlagged, {"$Forwarded"}}).ok(),
       "flags 2");
  must(st.store_flags(inbox->id, u3, FlagOp::Add, Flags{kDeleted, {}}).ok(), "flags 3");
  must(st.expunge(inbox->id, u4).ok(), "expunge 4");
  for (const char* acct : {"a@x.org", "b@x.org"}) {
    auto boxes = st.list_mailboxes(acct);
    for (const auto& b : *boxes) {
      std::printf("%s %s id=%lu validity=%u next=%u hms=%lu msgs=%u unseen=%u size=%lu sub=%d\n",
                  acct, b.name.c_str(), b.id, b.uid_validity, b.uid_next, b.highest_modseq,
                  b.messages, b.unseen, b.size, b.subscribed);
      auto msgs = st.messages(b.id);
      for (const auto& m : *msgs)
        std::printf("  uid=%u flags=%u kw=%zu date=%ld size=%lu modseq=%lu body=%lu hs=%u\n", m.uid,
                    m.flags.system, m.flags.keywords.size(), m.internal_date, m.size, m.modseq,
                    m.body_id, m.header_size);
    }
  }
  auto problems = st.check();
  must(problems.ok() && problems->empty(), "check");
  return 0;
}
