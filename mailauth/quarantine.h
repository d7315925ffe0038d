// The one place queued's local delivery learns a DMARC verdict: our own Authentication-
// Results field with policy.dmarc=quarantine (report.h). It is trusted because smtpd
// removes every Authentication-Results field claiming our authserv-id from whatever
// arrives (on every port) before adding its own, as RFC 8601 section 5 describes; so a
// field with our authserv-id in a queued message was written by us. Pure.
#pragma once

#include <string_view>

namespace mail::mailauth {

// True when the message's header holds an Authentication-Results field with our
// authserv-id whose dmarc result carries policy.dmarc=quarantine.
bool quarantine_requested(std::string_view message, std::string_view authserv_id);

}  // namespace mail::mailauth
