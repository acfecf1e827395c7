#include "sensor/config/yaml_document.h"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace bw::config {
namespace {

// Thrown out of the event handler to stop the parser at the first event past a bound.
struct Rejected {
  std::string message;
  bool at_key = false;
};

struct Size {
  uint64_t nodes = 0;
  uint64_t bytes = 0;
};

class Checker : public YAML::EventHandler {
 public:
  explicit Checker(const YamlDocumentLimits& limits) : limits_(limits) {}

  const Size& total() const { return total_; }
  const YAML::Node& root() const { return root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      throw Rejected{"line " + std::to_string(mark.line + 1) +
                     ": a second YAML document (after '---') is not allowed; put the whole "
                     "configuration in one"};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Leaf(mark, anchor, nullptr);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, &value);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    line_ = mark.line + 1;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      // Still open: the alias sits inside the node it names, a cycle no walk would finish.
      Fail(AliasName(anchor) + " refers to a list or mapping that contains it");
    }
    if (InKeyPosition()) {
      auto scalar = scalar_anchors_.find(anchor);
      if (scalar == scalar_anchors_.end()) KeyNotPlain();
      Key(scalar->second);
    }
    Add(it->second, anchor);
    Attach(anchor_nodes_.at(anchor));  // shared, as yaml-cpp's own loader shares it
    AfterNode();
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(mark, anchor, /*map=*/false, style);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(mark, anchor, /*map=*/true, style);
  }
  void OnMapEnd() override { Close(); }

  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_name_ = name; }

 private:
  struct Frame {
    bool map = false;
    YAML::anchor_t anchor = 0;
    Size size;               // this node and everything under it, aliases expanded
    uint64_t index = 0;      // a list's next item
    bool expect_key = true;  // a mapping alternates key, value
    std::string key;         // a mapping's current key
    std::unordered_set<std::string> keys;
    YAML::Node node;      // the list or mapping being built
    YAML::Node key_node;  // a mapping's current key, until its value arrives
  };

  bool InKeyPosition() const {
    return !stack_.empty() && stack_.back().map && stack_.back().expect_key;
  }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* value) {
    line_ = mark.line + 1;
    if (InKeyPosition()) {
      if (!value) KeyNotPlain();
      Key(*value);
    }
    Size size{1, value ? value->size() : 0};
    Add(size, 0);
    YAML::Node node = value ? YAML::Node(*value) : YAML::Node(YAML::NodeType::Null);
    if (anchor) {
      Name(anchor);
      anchors_[anchor] = size;
      if (value) scalar_anchors_[anchor] = *value;
      Remember(anchor, node);
    }
    Attach(node);
    AfterNode();
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map,
            YAML::EmitterStyle::value style) {
    line_ = mark.line + 1;
    if (InKeyPosition()) KeyNotPlain();
    Add(Size{1, 0}, 0);
    if (anchor) Name(anchor);
    // Attached before its children exist: they are added through the shared handle.
    YAML::Node node(map ? YAML::NodeType::Map : YAML::NodeType::Sequence);
    node.SetStyle(style);
    if (anchor) Remember(anchor, node);
    Attach(node);
    Frame f;
    f.map = map;
    f.anchor = anchor;
    f.size = Size{1, 0};
    f.node.reset(node);
    stack_.push_back(std::move(f));
  }

  void Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.anchor) anchors_[f.anchor] = f.size;
    if (!stack_.empty()) {
      // Already in the total; the enclosing nodes' sizes grow for their own anchors.
      stack_.back().size.nodes += f.size.nodes - 1;
      stack_.back().size.bytes += f.size.bytes;
    }
    AfterNode();
  }

  // Counts `size` into the total and into the enclosing node; stops past a bound. Every size
  // added was itself counted into the total once, so no sum here can wrap around.
  // `alias`: the anchor an alias being counted names (0: not an alias).
  void Add(const Size& size, YAML::anchor_t alias) {
    total_.nodes += size.nodes;
    total_.bytes += size.bytes;
    if (!stack_.empty()) {
      stack_.back().size.nodes += size.nodes;
      stack_.back().size.bytes += size.bytes;
    }
    if (alias) aliases_seen_ = true;
    if (total_.nodes > limits_.max_nodes) {
      Fail("the document grows past " + std::to_string(limits_.max_nodes) + " values" + Via(alias));
    }
    if (total_.bytes > limits_.max_value_bytes) {
      Fail("the document's values grow past " + Bytes(limits_.max_value_bytes) + Via(alias));
    }
  }

  std::string Via(YAML::anchor_t alias) const {
    std::string via = alias ? " through " + AliasName(alias) : "";
    if (aliases_seen_) via += " (aliases count as what they repeat)";
    return via;
  }

  // YAML::Node's operator= assigns through the handle (it would rewrite the node a handle held
  // before); reset() only rebinds the handle, the only thing wanted here.
  void Attach(const YAML::Node& node) {
    if (stack_.empty()) {
      root_.reset(node);
      return;
    }
    Frame& f = stack_.back();
    if (!f.map) {
      f.node.push_back(node);
    } else if (f.expect_key) {
      f.key_node.reset(node);
    } else {
      f.node.force_insert(f.key_node, node);  // keys are unique already: no lookup
    }
  }

  void Remember(YAML::anchor_t anchor, const YAML::Node& node) {
    anchor_nodes_.erase(anchor);
    anchor_nodes_.emplace(anchor, node);
  }

  void AfterNode() {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (f.map) {
      f.expect_key = !f.expect_key;
    } else {
      ++f.index;
    }
  }

  void Key(const std::string& key) {
    Frame& f = stack_.back();
    f.key = key;
    if (!f.keys.insert(key).second) {
      f.expect_key = false;  // the path names the key
      Fail("duplicate key (only one of them would count)");
    }
  }

  [[noreturn]] void KeyNotPlain() {
    Fail("a key must be a plain value, not a list, a mapping or null");
  }

  void Name(YAML::anchor_t anchor) {
    if (!pending_name_.empty()) names_[anchor] = std::move(pending_name_);
    pending_name_.clear();
  }
  std::string AliasName(YAML::anchor_t anchor) const {
    auto it = names_.find(anchor);
    return it == names_.end() ? std::string("an alias") : "alias *" + it->second;
  }

  static std::string Bytes(uint64_t n) {
    return n % (1u << 20) == 0 ? std::to_string(n >> 20) + " MiB" : std::to_string(n) + " bytes";
  }

  // The key path of the node being read: "detection.allowlist.crawler_user_agents[12]"; at a
  // mapping's key, the mapping's own path.
  std::string Path() const {
    std::string path;
    for (const Frame& f : stack_) {
      if (f.map) {
        if (f.expect_key) break;
        path += (path.empty() ? "" : ".") + f.key;
      } else {
        path += "[" + std::to_string(f.index) + "]";
      }
    }
    return path.empty() ? "(top level)" : path;
  }

  [[noreturn]] void Fail(const std::string& reason) {
    throw Rejected{Path() + ": " + reason + " (line " + std::to_string(line_) + ")", true};
  }

  const YamlDocumentLimits& limits_;
  Size total_;
  int documents_ = 0;
  size_t line_ = 0;
  std::vector<Frame> stack_;
  // Completed anchors: what an alias of each brings in. An anchor still open is absent.
  std::unordered_map<YAML::anchor_t, Size> anchors_;
  std::unordered_map<YAML::anchor_t, std::string> scalar_anchors_;  // for aliases used as keys
  std::unordered_map<YAML::anchor_t, std::string> names_;
  std::unordered_map<YAML::anchor_t, YAML::Node> anchor_nodes_;
  YAML::Node root_;
  std::string pending_name_;
  bool aliases_seen_ = false;
};

}  // namespace

YamlDocumentResult LoadYamlDocument(std::string_view text, const YamlDocumentLimits& limits) {
  YamlDocumentResult r;
  std::istringstream in{std::string(text)};
  Checker checker(limits);
  try {
    YAML::Parser parser(in);
    // Bounded: the second document start is refused.
    while (parser.HandleNextDocument(checker)) {
    }
  } catch (const Rejected& e) {
    r.ok = false;
    r.error = e.message;
    r.at_key = e.at_key;
  } catch (const YAML::Exception& e) {
    r.ok = false;
    r.error = "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
  }
  if (r.ok) r.root.reset(checker.root());
  r.nodes = checker.total().nodes;
  r.value_bytes = checker.total().bytes;
  return r;
}

}  // namespace bw::config
