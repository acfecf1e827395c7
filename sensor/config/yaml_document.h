#pragma once
// Loads a YAML text as yaml-cpp's YAML::Load does, but from a streaming pass over the parse
// events that checks them before the tree grows. yaml-cpp keeps an alias as a second handle on
// the anchored node, so a 2 MB text that names a 1 MiB string 200,000 times loads cheaply and
// then expands to 200 GB the moment anything walks it. The pass counts what every alias brings
// in, over the whole document, and stops at the first event past a bound; it also refuses what
// yaml-cpp would silently accept and the typed readers cannot explain (a second document,
// duplicate keys, keys that are not plain values, an alias of the node it sits in). The text
// is parsed once: the tree is built from the same events.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bw::config {

struct YamlDocumentLimits {
  // Nodes (scalars, nulls, lists, mappings, keys included), an alias counting as every node
  // of what it names. The largest config the per-key limits admit holds ~30,000.
  uint64_t max_nodes = 65536;
  // Bytes of scalar text, keys included and aliases expanded. Half the file-size limit.
  uint64_t max_value_bytes = 8u << 20;
};

struct YamlDocumentResult {
  bool ok = true;
  uint64_t nodes = 0;        // as expanded (stops counting at the first bound passed)
  uint64_t value_bytes = 0;  // as expanded
  bool at_key = false;       // the error names a key path (else only a line)
  std::string error;         // "<key path>: <reason> (line N)", or "line N: <reason>"
  YAML::Node root;           // when ok: the document (a Null node when there is none)
};

[[nodiscard]] YamlDocumentResult LoadYamlDocument(std::string_view text,
                                                  const YamlDocumentLimits& limits = {});

}  // namespace bw::config
