#include "common/lmdb_schema.h"

#include <string>

#include "common/codec.h"

namespace mail::lmdb {

namespace {
constexpr std::string_view kSchemaKey = "schema_version";
}

Result<void> open_versioned_tables(Txn& txn, std::span<const char* const> names,
                                   std::span<MDB_dbi> dbis, uint32_t version,
                                   std::string_view what) {
  for (size_t i = 0; i < names.size() && i < dbis.size(); ++i) {
    auto dbi = txn.open_db(names[i], true);
    if (!dbi) return dbi.error();
    dbis[i] = *dbi;
  }
  auto schema = txn.get(dbis[0], kSchemaKey);
  if (!schema) return schema.error();
  if (!schema->has_value()) {
    Encoder e;
    e.u32(version);
    return txn.put(dbis[0], kSchemaKey, e.bytes());
  }
  Decoder d(**schema);
  const uint32_t found = d.u32();
  if (!d.ok() || !d.at_end() || found != version)
    return make_error(ErrorKind::Corrupt,
                      std::string(what) + ": unsupported schema version " + std::to_string(found));
  return {};
}

}  // namespace mail::lmdb
