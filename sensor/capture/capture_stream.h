#pragma once
// A capture file opened once, read as a stream of bytes: a regular file, a named pipe, a
// process substitution (`--read <(zcat x.pcap.gz)`), /dev/stdin or stdin itself ("-"), plain or
// gzip-compressed (told by its magic, 1f 8b, not by its name).
//
// Why one object: the format is sniffed from the first bytes, and on a pipe a byte read is gone.
// Opening the path a second time to read it "from the start" loses what the first open read
// (up to a stdio buffer, 4 KiB) and, once the writer is gone, waits forever for a new one.
// Peek() shows the first bytes and Read() still returns them.
//
// Guarantees:
//  - Memory is bounded whatever the file's size: the sniffed bytes, one compressed-input buffer
//    (kInputBytes) and zlib's inflate state (its 32 KiB window); gzip is inflated as it is read,
//    never whole.
//  - A short input (less than a buffer, then end of file) is read to its end; no read waits for
//    more than the writer sends.
//  - A gzip stream that is corrupt, or ends before its end (cut short), is an error with a
//    one-line message (error()) after every byte before it; concatenated gzip members read as
//    one stream, as gzip -d reads them.
//  - Reading a pipe waits in steps of at most 100 ms, so Cancel() from another thread ends a
//    read blocked on a writer that sends nothing.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dissectors/common/bytes.h"

namespace bw::capture {

class CaptureStream {
 public:
  static constexpr size_t kInputBytes = 64 * 1024;

  // Opens `path` ("-" = standard input, read as a stream, never by offset, and not closed).
  // nullptr with a one-line
  // `error` (the path and errno's words) when it cannot be opened.
  static std::unique_ptr<CaptureStream> Open(const std::string& path, std::string& error);
  // Reads `fd` (closed at the end when `owned`).
  static std::unique_ptr<CaptureStream> FromFd(int fd, bool owned);
  ~CaptureStream();
  CaptureStream(const CaptureStream&) = delete;
  CaptureStream& operator=(const CaptureStream&) = delete;

  // The first `n` bytes of the (decompressed) content not yet read, or fewer at its end or on
  // an error; Read() returns them again. Valid until the next call.
  ByteView Peek(size_t n);
  // Up to `n` bytes into `out`; fewer only at the end of the stream, on an error (error() set)
  // or after Cancel().
  size_t Read(uint8_t* out, size_t n);
  // What is there now, at most n bytes, waiting only when nothing is: 0 at the end. stdio reads
  // through this, asking for a whole buffer, so a pipe that stays open after a short write
  // (a capture header, one packet) is read without waiting for more.
  size_t ReadSome(uint8_t* out, size_t n);
  // After a reader met bad data in a gzip stream: reads on, discarding at most `limit` bytes,
  // so that corrupt compressed data, whose garbage the reader saw before zlib could tell, is
  // reported as such (error()). Nothing for a plain stream.
  void ReadOn(uint64_t limit);
  // Ends a waiting or later Read() early (any thread).
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }

  // Known after the first Peek() or Read(), which sniff the gzip magic.
  bool gzip() const { return gzip_; }
  // An uncompressed regular file read from its start (known after the first Peek() or Read()):
  // whoever wants to may read it by offset (pread on fd()); what Peek() read stays at offset 0.
  bool regular_file() const { return regular_ && !gzip_; }
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

  // A stdio stream over what is left of `stream` (for libpcap, which reads a FILE*); closing it
  // destroys the stream. nullptr when stdio cannot make one (the stream is destroyed).
  static FILE* ToFile(std::unique_ptr<CaptureStream> stream);

 private:
  CaptureStream() = default;
  // Reads the first two bytes: gzip or not.
  void Sniff();
  // Bytes of the underlying file into `out`: 0 at its end, on an error or cancelled.
  size_t ReadRaw(uint8_t* out, size_t n);
  // Decoded bytes (inflated, or the file's own) past the peeked ones.
  size_t Fill(uint8_t* out, size_t n);
  size_t Inflate(uint8_t* out, size_t n);

  struct Inflater;
  int fd_ = -1;
  bool owned_ = false;
  bool regular_ = false;
  bool gzip_ = false;
  bool sniffed_ = false;
  bool end_ = false;  // no more bytes: the end of the input, an error or a cancel
  std::atomic<bool> cancelled_{false};
  std::vector<uint8_t> peeked_;  // decoded bytes Peek() read ahead
  size_t peeked_at_ = 0;         // of those, already returned by Read()
  std::unique_ptr<Inflater> inflater_;
  std::vector<uint8_t> input_;  // gzip: compressed bytes read, not yet inflated
  size_t input_at_ = 0;
  size_t input_end_ = 0;
  uint64_t compressed_read_ = 0;
  uint64_t inflated_ = 0;
  std::string error_;
};

}  // namespace bw::capture
