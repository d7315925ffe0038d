// Opening a small LMDB database that keeps its schema version in a "meta" table (the
// account directory, the relay's sending policy): the same steps for each, so one place
// decides what an unknown version means. The mailbox store and the spool have their own
// migrations and do not use this.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/lmdb.h"
#include "common/result.h"

namespace mail::lmdb {

// Opens (creating) the tables `names` in the write transaction `txn` into `dbis` (same
// length). The first must be the meta table: it keeps the schema version under
// "schema_version". A new database gets `version`; an existing one must have exactly
// `version` (these databases have no migration yet), else ErrorKind::Corrupt naming
// `what` ("directory /var/lib/mail/directory"). The caller commits.
Result<void> open_versioned_tables(Txn& txn, std::span<const char* const> names,
                                   std::span<MDB_dbi> dbis, uint32_t version,
                                   std::string_view what);

}  // namespace mail::lmdb
