// The text a relay attempt leaves in Recipient::last_reply (for mailctl, logs and DSNs),
// and its reading back when a DSN is built later (after retries, at expiry):
//   from the server:  "host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown"
//   our own verdict:  "556 5.1.10 domain example.net does not accept mail (null MX, ...)"
// Pure.
#pragma once

#include <string>
#include <string_view>

#include "smtpd/protocol/reply.h"

namespace mail::relay {

// remote_host "" means the reply is our own; remote_address may be "".
std::string record_reply(const smtp::Reply& reply, std::string_view remote_host,
                         std::string_view remote_address);

struct RecordedReply {
  int code = 0;            // 0 when the text does not start with a reply code
  std::string enhanced;    // "5.1.1", or "" when the reply had none
  std::string text;        // "550 5.1.1 User unknown": the reply as recorded, without the host
  std::string remote_mta;  // "mx.example.net", or "" for our own verdicts
};

RecordedReply parse_recorded_reply(std::string_view recorded);

}  // namespace mail::relay
