#pragma once
// The header fields of one HTTP message, stored in one buffer.
//
// Guarantees:
//  - Names and values are kept as sent (values trimmed by the parser), in arrival order; a
//    repeated name is kept each time. Lookups are ASCII case-insensitive, first match wins.
//  - Views handed out (Header, Find) stay valid until the next Add, AppendToLast or Clear.
//  - One text buffer and one offset table per message, whatever the number of fields: storing a
//    header costs no allocation once the buffers have grown to the message's size, and Clear
//    keeps them (up to kRetainedTextBytes / kRetainedFields) for the next message, so a
//    keep-alive connection parses request after request without allocating.
//  - Offsets are 32-bit: a message's head is bounded by HttpLimits::max_header_block, far below.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bw::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

class HeaderList {
 public:
  // Capacity kept across Clear; a message with a larger head releases its buffers.
  static constexpr size_t kRetainedTextBytes = 4096;
  static constexpr size_t kRetainedFields = 64;

  HeaderList() = default;
  HeaderList(std::initializer_list<Header> fields);
  HeaderList(const HeaderList&) = default;
  HeaderList& operator=(const HeaderList&) = default;
  HeaderList(HeaderList&&) noexcept = default;
  HeaderList& operator=(HeaderList&&) noexcept = default;

  void Add(std::string_view name, std::string_view value);
  // An obs-fold continuation: joins `more` to the last value with one SP (none when it was
  // empty). No-op without a field.
  void AppendToLast(std::string_view more);
  // Forgets every field, keeping the buffers within the retained bounds.
  void Clear();

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  Header operator[](size_t i) const {
    const Field& f = fields_[i];
    return {std::string_view(text_).substr(f.name_at, f.name_size),
            std::string_view(text_).substr(f.name_at + f.name_size, f.value_size)};
  }
  std::optional<std::string_view> Find(std::string_view name) const;
  // Heap bytes held (both buffers' capacity), for memory accounting.
  size_t heap_bytes() const;

  class Iterator {
   public:
    Iterator(const HeaderList* list, size_t i) : list_(list), i_(i) {}
    Header operator*() const { return (*list_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const HeaderList* list_;
    size_t i_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, fields_.size()}; }

 private:
  // A field is its name followed at once by its value in text_.
  struct Field {
    uint32_t name_at = 0;
    uint32_t name_size = 0;
    uint32_t value_size = 0;
  };

  std::string text_;
  std::vector<Field> fields_;
};

}  // namespace bw::http
