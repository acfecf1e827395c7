#include "sensor/common/rfc3339.h"

#include <cstdint>

namespace bw::common {
namespace {

// H. Hinnant's days_from_civil and civil_from_days: exact for every int64 year we can meet, and
// free of timegm/gmtime_r, whose time_t and tm ranges are the platform's.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Two decimal digits of v < 100.
char* Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

}  // namespace

// Digits by hand: this runs for every ledger line, where snprintf's format parsing showed in the
// profile.
size_t WriteRfc3339(char* buf, TimestampNs ts, int fraction_digits) {
  int64_t secs = ts / kNsPerSecond;
  int64_t nanos = ts % kNsPerSecond;
  if (nanos < 0) {
    nanos += kNsPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  CivilFromDays(days, year, month, day);
  // TimestampNs spans the years 1677 to 2262: always four digits.
  const auto y = static_cast<unsigned>(year);
  char* p = Put2(Put2(buf, y / 100), y % 100);
  *p++ = '-';
  p = Put2(p, month);
  *p++ = '-';
  p = Put2(p, day);
  *p++ = 'T';
  p = Put2(p, static_cast<unsigned>(rem / 3600));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(rem / 60 % 60));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(rem % 60));
  if (fraction_digits > 0) {
    const int digits = fraction_digits < 9 ? fraction_digits : 9;
    int64_t frac = nanos;
    for (int i = digits; i < 9; ++i) frac /= 10;
    *p++ = '.';
    for (int i = digits - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    p += digits;
  }
  *p++ = 'Z';
  return static_cast<size_t>(p - buf);
}

std::string FormatRfc3339(TimestampNs ts, int fraction_digits) {
  char buf[kRfc3339MaxBytes];
  return std::string(buf, WriteRfc3339(buf, ts, fraction_digits));
}

std::optional<TimestampNs> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !Digits(s, 0, 4, year) || s[4] != '-' || !Digits(s, 5, 2, month) ||
      s[7] != '-' || !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, hour) || s[13] != ':' || !Digits(s, 14, 2, minute) || s[16] != ':' ||
      !Digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (s[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // Nanoseconds in int64 span 1677-09-21 to 2262-04-11; past that the product would overflow.
  constexpr int64_t kMaxSeconds = INT64_MAX / kNsPerSecond - 1;
  constexpr int64_t kMinSeconds = INT64_MIN / kNsPerSecond + 1;
  if (secs > kMaxSeconds || secs < kMinSeconds) return std::nullopt;
  return secs * kNsPerSecond + frac_ns;
}

}  // namespace bw::common
