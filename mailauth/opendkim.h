// libopendkim's C header for C++, and its DKIM handle as an owning pointer, shared by the
// signer and the verifier.
#pragma once

// libopendkim's header is C with _Bool; in C++ it needs these first (docs: TOOLING.md).
#include <sys/types.h>
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

#include <memory>

namespace mail::mailauth {

struct DkimHandleDeleter {
  void operator()(DKIM* d) const { dkim_free(d); }
};
using DkimHandle = std::unique_ptr<DKIM, DkimHandleDeleter>;

}  // namespace mail::mailauth
