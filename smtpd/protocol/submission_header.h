// What message submission (RFC 6409) reads from a message's header section: the author and
// sender addresses (From:, Sender:; RFC 5322 3.6.2) that an authenticated user may only
// fill with addresses of their own, and whether Date: and Message-ID: are present, which
// the MSA adds when missing (RFC 6409 8.2, 8.3), and whether Sender: is there, which the
// MSA adds when the author is someone other than the submitter (RFC 6409 8.1). Pure: no directory,
// no clock; the session checks the addresses and passes the date and the id in.
//
// Input: untrusted message bytes (CRLF or bare LF line ends, any octets). Only the header
// section is read; folded fields are unfolded and address lists parsed by the MIME
// library (mime/header.h, mime/address.h), so display names, comments, quoted local parts
// and groups are handled as every other part of the suite reads them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mail::smtp {

struct SubmissionHeader {
  bool has_date = false;
  bool has_message_id = false;
  bool has_sender = false;
  // The mailboxes of the From: fields alone, as in `authors` (RFC 6409 8.1 compares the
  // submitter with them).
  std::vector<std::string> from;
  // Every mailbox of every From: and Sender: field, in order, as "local@domain" (the
  // local part unquoted, as the directory compares it). A mailbox the parser could not
  // read whole (no local part, no domain, a syntax error) is kept as "" so that the
  // check refuses it rather than skipping it.
  std::vector<std::string> authors;
  // More author mailboxes than the caller's limit: the list above is cut there.
  bool too_many_authors = false;
};

// Reads the header section of `message` (up to its first empty line). At most
// `max_authors` mailboxes are collected.
SubmissionHeader inspect_submission_header(std::string_view message, size_t max_authors);

// The fields the MSA adds, each ending in CRLF; "" when none is needed:
// - Sender: <submitter> (RFC 6409 8.1) when the message has no Sender: and its From: names
//   someone else than the authenticated submitter, or several mailboxes (RFC 5322 3.6.2
//   then requires Sender:). Empty `submitter`: none.
// - Date: (8.2), `date` being an RFC 5322 date-time.
// - Message-ID: (8.3), `message_id` the id without angle brackets ("<queue id>@<host>").
std::string submission_fixups(const SubmissionHeader& header, std::string_view date,
                              std::string_view message_id, std::string_view submitter = {});

}  // namespace mail::smtp
