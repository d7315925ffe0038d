// The POP3 maildrop snapshot; see maildrop.h.
#include "pop3d/maildrop.h"

namespace mail::pop3d {

Maildrop::Maildrop(uint64_t mailbox_id, uint32_t uid_validity,
                   const std::vector<store::MessageInfo>& messages)
    : mailbox_id_(mailbox_id), uid_validity_(uid_validity) {
  entries_.reserve(messages.size());
  for (const auto& m : messages) entries_.push_back(Entry{m.uid, m.size, false});
}

uint32_t Maildrop::live_count() const {
  uint32_t n = 0;
  for (const auto& e : entries_) n += e.deleted ? 0 : 1;
  return n;
}

uint64_t Maildrop::live_octets() const {
  uint64_t n = 0;
  for (const auto& e : entries_) n += e.deleted ? 0 : e.size;
  return n;
}

const Maildrop::Entry* Maildrop::find(uint32_t number) const {
  if (number == 0 || number > entries_.size()) return nullptr;
  const Entry& e = entries_[number - 1];
  return e.deleted ? nullptr : &e;
}

bool Maildrop::mark_deleted(uint32_t number) {
  if (!find(number)) return false;
  entries_[number - 1].deleted = true;
  return true;
}

void Maildrop::reset() {
  for (auto& e : entries_) e.deleted = false;
}

std::vector<uint32_t> Maildrop::deleted_uids() const {
  std::vector<uint32_t> out;
  for (const auto& e : entries_) {
    if (e.deleted) out.push_back(e.uid);
  }
  return out;
}

std::string Maildrop::unique_id(uint32_t number) const {
  const Entry* e = number == 0 || number > entries_.size() ? nullptr : &entries_[number - 1];
  if (!e) return {};
  return std::to_string(uid_validity_) + "." + std::to_string(e->uid);
}

}  // namespace mail::pop3d
