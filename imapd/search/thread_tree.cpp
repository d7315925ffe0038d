// RFC 5256 THREAD algorithms; see thread_tree.h. Step numbers refer to RFC 5256 section 3
// (REFERENCES).
#include "imapd/search/thread_tree.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace mail::imapd::search {
namespace {

constexpr int kNone = -1;

struct SortKey {
  int64_t date = 0;
  uint32_t order = 0;
  bool operator<(const SortKey& o) const {
    return date != o.date ? date < o.date : order < o.order;
  }
};

SortKey key_of(const ThreadMessage& m) {
  return {m.date, m.order};
}

// The REFERENCES working set: one container per message or referenced id.
struct Container {
  int msg = kNone;  // index into the messages; kNone for a dummy
  int parent = kNone;
  std::vector<int> children;
};

class ReferencesThreader {
 public:
  explicit ReferencesThreader(const std::vector<ThreadMessage>& messages) : m_(messages) {}

  ThreadForest run() {
    link_messages();
    std::vector<int> roots;
    for (size_t i = 0; i < c_.size(); ++i)
      if (c_[i].parent == kNone) roots.push_back(static_cast<int>(i));
    prune(roots);
    sort_children_deep(roots, false);  // step 4: only the dummies' children and the roots
    gather_subjects(roots);
    sort_children_deep(roots, true);  // step 6
    return forest(roots);
  }

 private:
  int container_for(const std::string& id) {
    auto [it, inserted] = by_id_.try_emplace(id, static_cast<int>(c_.size()));
    if (inserted) c_.emplace_back();
    return it->second;
  }
  int new_container() {
    c_.emplace_back();
    return static_cast<int>(c_.size() - 1);
  }
  // Whether `a` is `x` or one of its ancestors; a chain longer than kMaxThreadDepth
  // counts as one (no link is made below that depth).
  bool is_ancestor(int a, int x) const {
    size_t steps = 0;
    for (int y = x; y != kNone; y = c_[y].parent) {
      if (y == a || ++steps > kMaxThreadDepth) return true;
    }
    return false;
  }
  void unlink(int child) {
    const int p = c_[child].parent;
    if (p == kNone) return;
    auto& siblings = c_[p].children;
    siblings.erase(std::find(siblings.begin(), siblings.end(), child));
    c_[child].parent = kNone;
  }
  void link(int parent, int child) {
    c_[child].parent = parent;
    c_[parent].children.push_back(child);
  }

  // Step 1, messages in mailbox order.
  void link_messages() {
    std::vector<size_t> order(m_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return m_[a].order < m_[b].order; });
    for (size_t i : order) {
      const ThreadMessage& m = m_[i];
      // A Message-ID used by an earlier message, or none, gets a container of its own.
      int self;
      auto it = m.message_id.empty() ? by_id_.end() : by_id_.find(m.message_id);
      if (m.message_id.empty() || (it != by_id_.end() && c_[it->second].msg != kNone)) {
        self = new_container();
      } else {
        self = container_for(m.message_id);
      }
      c_[self].msg = static_cast<int>(i);
      // 1.A: each reference the parent of the next, where that one has none yet.
      int prev = kNone;
      for (const std::string& ref : m.references) {
        const int cur = container_for(ref);
        if (prev != kNone && cur != prev && c_[cur].parent == kNone && !is_ancestor(cur, prev))
          link(prev, cur);
        prev = cur;
      }
      // 1.B: the last reference is the message's parent, replacing an older link. The old
      // link is broken even when the new one would make a loop (then the message heads
      // its own thread), as Dovecot does (imaptest "thread").
      if (prev != kNone && c_[self].parent != prev) {
        unlink(self);
        if (prev != self && !is_ancestor(self, prev)) link(prev, self);
      }
    }
  }

  // Step 3: dummies without children go; a dummy's children take its place, except at
  // the top where a dummy with several children stays. Post-order, iteratively.
  void prune(std::vector<int>& roots) {
    std::vector<std::pair<int, bool>> stack;  // (container, children done)
    for (int r : roots) stack.emplace_back(r, false);
    while (!stack.empty()) {
      auto [x, done] = stack.back();
      if (!done) {
        stack.back().second = true;
        for (int ch : c_[x].children) stack.emplace_back(ch, false);
        continue;
      }
      stack.pop_back();
      c_[x].children = pruned(c_[x].children, x, false);
    }
    roots = pruned(roots, kNone, true);
  }
  std::vector<int> pruned(const std::vector<int>& list, int parent, bool top) {
    std::vector<int> out;
    for (int ch : list) {
      if (c_[ch].msg != kNone) {
        out.push_back(ch);
      } else if (c_[ch].children.empty()) {
        continue;
      } else if (!top || c_[ch].children.size() == 1) {
        for (int g : c_[ch].children) {
          c_[g].parent = parent;
          out.push_back(g);
        }
        c_[ch].children.clear();
      } else {
        out.push_back(ch);
      }
    }
    return out;
  }

  SortKey key(int x) const {
    while (c_[x].msg == kNone && !c_[x].children.empty()) x = c_[x].children.front();
    return c_[x].msg == kNone ? SortKey{} : key_of(m_[c_[x].msg]);
  }
  void sort_siblings(std::vector<int>& list) const {
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) { return key(a) < key(b); });
  }
  // Sorts sibling sets by sent date, the deepest first (a dummy sorts by its first
  // child). `all`: every set (step 6); otherwise the dummies' children and the roots
  // (step 4).
  void sort_children_deep(std::vector<int>& roots, bool all) {
    std::vector<std::pair<int, bool>> stack;
    for (int r : roots) stack.emplace_back(r, false);
    while (!stack.empty()) {
      auto [x, done] = stack.back();
      if (!done) {
        stack.back().second = true;
        if (all)
          for (int ch : c_[x].children) stack.emplace_back(ch, false);
        continue;
      }
      stack.pop_back();
      if (all || c_[x].msg == kNone) sort_siblings(c_[x].children);
    }
    sort_siblings(roots);
  }

  const std::string& thread_subject(int x) const {
    static const std::string kEmpty;
    if (c_[x].msg == kNone) {
      if (c_[x].children.empty()) return kEmpty;
      x = c_[x].children.front();
      if (c_[x].msg == kNone) return kEmpty;
    }
    return m_[c_[x].msg].base_subject;
  }
  bool is_dummy(int x) const { return c_[x].msg == kNone; }
  bool is_reply(int x) const { return !is_dummy(x) && m_[c_[x].msg].reply_or_forward; }

  // Step 5: threads whose base subjects are equal are merged.
  void gather_subjects(std::vector<int>& roots) {
    std::unordered_map<std::string, int> table;
    for (int r : roots) {  // 5.B
      const std::string& subject = thread_subject(r);
      if (subject.empty()) continue;
      auto [it, inserted] = table.try_emplace(subject, r);
      if (!inserted && !is_dummy(it->second) &&
          (is_dummy(r) || (is_reply(it->second) && !is_reply(r))))
        it->second = r;
    }
    std::vector<int> kept;                  // the roots after merging, in order
    std::unordered_map<int, size_t> place;  // root -> index in kept
    for (int r : roots) {                   // 5.C
      if (auto p = pending_.find(r); p != pending_.end()) {
        // Merged into a dummy before it was reached: the dummy takes its place.
        place[p->second] = kept.size();
        kept.push_back(p->second);
        continue;
      }
      const std::string& subject = thread_subject(r);
      auto it = subject.empty() ? table.end() : table.find(subject);
      if (it == table.end() || it->second == r) {
        place[r] = kept.size();
        kept.push_back(r);
        continue;
      }
      const int t = it->second;
      if (is_dummy(t) && is_dummy(r)) {
        for (int ch : c_[r].children) link(t, ch);
        c_[r].children.clear();
      } else if (is_dummy(t) || (is_reply(r) && !is_reply(t))) {
        link(t, r);
      } else {
        const int d = new_container();
        link(d, t);
        link(d, r);
        it->second = d;
        // The dummy takes t's place among the roots (t was kept before r, or is later).
        if (auto p = place.find(t); p != place.end()) {
          kept[p->second] = d;
          place[d] = p->second;
          place.erase(p);
        } else {
          pending_[t] = d;
        }
      }
    }
    roots = std::move(kept);
  }

  ThreadForest forest(const std::vector<int>& roots) const {
    ThreadForest f;
    f.nodes.resize(c_.size());
    for (size_t i = 0; i < c_.size(); ++i) {
      f.nodes[i].id = c_[i].msg == kNone ? 0 : m_[c_[i].msg].id;
      f.nodes[i].children.assign(c_[i].children.begin(), c_[i].children.end());
    }
    f.roots.assign(roots.begin(), roots.end());
    return f;
  }

  const std::vector<ThreadMessage>& m_;
  std::vector<Container> c_;
  std::unordered_map<std::string, int> by_id_;
  std::unordered_map<int, int> pending_;
};

}  // namespace

ThreadForest thread_ordered_subject(const std::vector<ThreadMessage>& messages) {
  std::vector<size_t> order(messages.size());
  std::iota(order.begin(), order.end(), 0);
  // Section 3: sorted by base subject, then by sent date; each run of one subject is a
  // thread whose first message is the parent of the others.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto& x = messages[a];
    const auto& y = messages[b];
    if (x.base_subject != y.base_subject) return x.base_subject < y.base_subject;
    return key_of(x) < key_of(y);
  });
  ThreadForest f;
  f.nodes.resize(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) f.nodes[i].id = messages[i].id;
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && messages[order[j]].base_subject == messages[order[i]].base_subject) {
      f.nodes[order[i]].children.push_back(static_cast<uint32_t>(order[j]));
      ++j;
    }
    f.roots.push_back(static_cast<uint32_t>(order[i]));
    i = j;
  }
  // Threads in the order of their first messages' sent dates.
  std::stable_sort(f.roots.begin(), f.roots.end(), [&](uint32_t a, uint32_t b) {
    return key_of(messages[a]) < key_of(messages[b]);
  });
  return f;
}

ThreadForest thread_references(const std::vector<ThreadMessage>& messages) {
  return ReferencesThreader(messages).run();
}

std::string format_threads(const ThreadForest& f) {
  // thread-list = "(" (thread-members / thread-nested) ")": a node with one child continues
  // its member list ("1 2 3"); with several, each child is a nested list ("1 (2)(3)").
  std::string out;
  struct Item {
    uint32_t node;
    bool close;  // emit ")" rather than expand
  };
  std::vector<Item> stack;
  for (auto r = f.roots.rbegin(); r != f.roots.rend(); ++r) {
    stack.push_back({*r, true});
    stack.push_back({*r, false});
  }
  // Expanding a node writes "(" for the list it opens when its item says so; the first
  // expansion of a root or nested child opens one.
  std::vector<bool> opens;  // parallel to stack: whether expanding writes "(" first
  opens.assign(stack.size(), true);
  while (!stack.empty()) {
    Item it = stack.back();
    bool open = opens.back();
    stack.pop_back();
    opens.pop_back();
    if (it.close) {
      out += ')';
      continue;
    }
    const auto& n = f.nodes[it.node];
    if (open) out += '(';
    if (n.id != 0) {
      if (!open) out += ' ';
      out += std::to_string(n.id);
    }
    if (n.children.size() == 1 && n.id != 0) {
      stack.push_back({n.children.front(), false});
      opens.push_back(false);
      continue;
    }
    if (n.id != 0 && !n.children.empty()) out += ' ';
    for (auto ch = n.children.rbegin(); ch != n.children.rend(); ++ch) {
      stack.push_back({*ch, true});
      opens.push_back(false);
      stack.push_back({*ch, false});
      opens.push_back(true);
    }
  }
  return out;
}

}  // namespace mail::imapd::search
