#include "dissectors/http/header_list.h"

#include "dissectors/common/ascii.h"
#include "dissectors/common/buffer_capacity.h"

namespace bw::http {

HeaderList::HeaderList(std::initializer_list<Header> fields) {
  for (const Header& h : fields) Add(h.name, h.value);
}

void HeaderList::Add(std::string_view name, std::string_view value) {
  Field f;
  f.name_at = static_cast<uint32_t>(text_.size());
  f.name_size = static_cast<uint32_t>(name.size());
  f.value_size = static_cast<uint32_t>(value.size());
  text_.append(name);
  text_.append(value);
  fields_.push_back(f);
}

void HeaderList::AppendToLast(std::string_view more) {
  if (fields_.empty()) return;
  // The last value ends the buffer, so it grows in place.
  Field& f = fields_.back();
  if (f.value_size > 0) {
    text_.push_back(' ');
    ++f.value_size;
  }
  text_.append(more);
  f.value_size += static_cast<uint32_t>(more.size());
}

void HeaderList::Clear() {
  ClearKeepingUpTo(text_, kRetainedTextBytes);
  ClearKeepingUpTo(fields_, kRetainedFields);
}

std::optional<std::string_view> HeaderList::Find(std::string_view name) const {
  for (Header h : *this) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

size_t HeaderList::heap_bytes() const {
  return StringHeapBytes(text_) + fields_.capacity() * sizeof(Field);
}

}  // namespace bw::http
