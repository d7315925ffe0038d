// libFuzzer entry for the SEARCH, SORT and THREAD argument readers (query.h): the command
// head and arguments as the session parses them, then parse_search / parse_sort /
// parse_thread over them. Input: arbitrary bytes from the fuzzer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/parser.h"
#include "imapd/search/query.h"

using namespace mail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  imap::Reader head_reader(input);
  imap::HeadResult head = imap::parse_command_head(head_reader);
  auto* h = std::get_if<imap::CommandHead>(&head);
  if (!h) return 0;
  {
    imap::Reader r = head_reader;
    auto parsed = imap::parse_command_arguments(r, *h, imap::args::search);
    if (auto* c = std::get_if<imap::Command>(&parsed))
      (void)imapd::search::parse_search(std::get<imap::SearchArgs>(c->args));
  }
  imap::Reader r = head_reader;
  auto parsed = imap::parse_command_arguments(r, *h, imap::args::generic);
  if (auto* c = std::get_if<imap::Command>(&parsed)) {
    const auto& args = std::get<imap::GenericArgs>(c->args).args;
    (void)imapd::search::parse_sort(args);
    (void)imapd::search::parse_thread(args);
  }
  return 0;
}
