// Names of results as RFC 8601 writes them.
#include "mailauth/results.h"

namespace mail::mailauth {

std::string_view result_name(SpfResult r) {
  switch (r) {
    case SpfResult::None:
      return "none";
    case SpfResult::Neutral:
      return "neutral";
    case SpfResult::Pass:
      return "pass";
    case SpfResult::Fail:
      return "fail";
    case SpfResult::SoftFail:
      return "softfail";
    case SpfResult::TempError:
      return "temperror";
    case SpfResult::PermError:
      return "permerror";
  }
  return "none";
}

std::string_view result_name(DkimResult r) {
  switch (r) {
    case DkimResult::None:
      return "none";
    case DkimResult::Pass:
      return "pass";
    case DkimResult::Fail:
      return "fail";
    case DkimResult::Policy:
      return "policy";
    case DkimResult::Neutral:
      return "neutral";
    case DkimResult::TempError:
      return "temperror";
    case DkimResult::PermError:
      return "permerror";
  }
  return "none";
}

std::string_view result_name(DmarcResult r) {
  switch (r) {
    case DmarcResult::None:
      return "none";
    case DmarcResult::Pass:
      return "pass";
    case DmarcResult::Fail:
      return "fail";
    case DmarcResult::TempError:
      return "temperror";
    case DmarcResult::PermError:
      return "permerror";
  }
  return "none";
}

std::string_view policy_name(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::None:
      return "none";
    case DmarcPolicy::Quarantine:
      return "quarantine";
    case DmarcPolicy::Reject:
      return "reject";
  }
  return "none";
}

}  // namespace mail::mailauth
