// The translation unit that builds the precompiled Boost.Asio header (MAIL_ASIO_PCH in the
// top-level CMakeLists.txt) which the Asio-heavy targets reuse.
#include "common/net/asio.h"
