// Why a delivery failed, in the classes a sender of bulk mail acts on (the queue record,
// the logs and `mailctl report` carry it): hard (the address is bad: stop sending to it),
// soft (try again: busy, greylisted, mailbox full), policy (the receiver's rules refused
// it), spam (refused as spam or for reputation), TLS (the required encryption could not be
// had). Decided from the reply code, the RFC 3463 enhanced code and, where those are too
// coarse (5.7.1 covers both policy and spam), words of the text. Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "queue/spool.h"
#include "smtpd/protocol/reply.h"

namespace mail::relay {

// The queue records the class per recipient (queue/spool.h).
using BounceClass = queue::BounceClass;

const char* bounce_class_name(BounceClass c);

// The class of a failure reply (4xx or 5xx); None for a success.
BounceClass classify_reply(const smtp::Reply& reply);

// A permanent failure that says the address itself is bad (5.1.1 user unknown, 5.1.2 and
// 5.1.10 the domain takes no mail, 5.1.3 bad syntax, 5.1.6 moved, 5.2.1 disabled), so
// later mail to it is pointless: such recipients go on the suppression list.
bool suppressible(const smtp::Reply& reply);

}  // namespace mail::relay
