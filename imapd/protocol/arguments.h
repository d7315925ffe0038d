// The argument parser of each command (RFC 9051 section 6, RFC 3501 section 6, and the
// extensions named in each file). The session's command table (imapd/commands/
// command_table.cpp) pairs each command name with one of these; nothing else maps names
// to parsers. Each reads from just after the command name and fills cmd.args.
// Input: untrusted bytes via Reader.
#pragma once

#include "imapd/protocol/parser.h"

namespace mail::imap::args {

bool none(Reader& r, Command& cmd);                 // no arguments
bool login(Reader& r, Command& cmd);                // LoginArgs
bool authenticate(Reader& r, Command& cmd);         // AuthenticateArgs (SASL-IR)
bool mailbox(Reader& r, Command& cmd);              // MailboxArgs: DELETE SUBSCRIBE UNSUBSCRIBE
bool mailbox_with_params(Reader& r, Command& cmd);  // MailboxArgs: SELECT EXAMINE CREATE
bool rename(Reader& r, Command& cmd);               // RenameArgs
bool list(Reader& r, Command& cmd);                 // ListArgs, LIST-EXTENDED forms
bool lsub(Reader& r, Command& cmd);                 // ListArgs
bool status(Reader& r, Command& cmd);               // StatusArgs
bool enable(Reader& r, Command& cmd);               // EnableArgs
bool id(Reader& r, Command& cmd);                   // IdArgs
bool append(Reader& r, Command& cmd);               // AppendArgs (literal8)
bool expunge(Reader& r, Command& cmd);              // NoArgs, or SequenceArgs for UID EXPUNGE
bool fetch(Reader& r, Command& cmd);                // FetchArgs, duplicate items removed
bool store(Reader& r, Command& cmd);                // StoreArgs
bool copy(Reader& r, Command& cmd);                 // CopyArgs: COPY MOVE
bool search(Reader& r, Command& cmd);               // SearchArgs
bool notify(Reader& r, Command& cmd);               // NotifyArgs (RFC 5465)
bool generic(Reader& r, Command& cmd);              // GenericArgs: token trees for untyped commands

// A section-spec as FETCH BODY[...] takes it, without the brackets ("1.2", "HEADER",
// "1.MIME", "HEADER.FIELDS (FROM)"): the ;SECTION= of an IMAP URL (RFC 5092 section 9
// enc-section, decoded). `binary`: part numbers only (RFC 3516). nullopt when malformed.
std::optional<Section> parse_section_spec(std::string_view spec, bool binary);

}  // namespace mail::imap::args
