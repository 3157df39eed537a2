// Arrays of numbers as JSON text, as JavaScript writes them (src/scale/json-writer.ts): the
// shortest digits that read back to the same double (std::to_chars, closest to the value among
// the shortest, as ECMAScript's Number::toString asks), laid out by ECMAScript's rules (plain up
// to 21 digits before the point, 0.000001 down to 1e-7, exponents otherwise), non-finite numbers
// as null (JSON.stringify's choice). Runs of equal values are formatted once and copied.
#include <napi.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace ecgtlc::json {
namespace {

// Writes x into p (at least 32 bytes) as Number::toString(x) does; returns the length.
int formatNumber(double x, char* p) {
  if (!std::isfinite(x)) {
    std::memcpy(p, "null", 4);
    return 4;
  }
  if (x == 0) {  // 0 and -0 alike
    p[0] = '0';
    return 1;
  }
  char* const start = p;
  if (x < 0) {
    *p++ = '-';
    x = -x;
  }
  if (x < 9007199254740992.0 && x == std::floor(x)) {  // an integer below 2^53: its digits
    auto r = std::to_chars(p, p + 24, static_cast<int64_t>(x));
    return static_cast<int>(r.ptr - start);
  }
  // Shortest round-trip digits d.ddde[+-]xx, then ECMAScript's layout of k digits with the point
  // after n of them.
  char s[40];
  auto r = std::to_chars(s, s + sizeof s, x, std::chars_format::scientific);
  char digits[24];
  int k = 0;
  const char* q = s;
  for (; q < r.ptr && *q != 'e'; q++)
    if (*q != '.') digits[k++] = *q;
  int e = 0;
  bool neg = false;
  for (q++; q < r.ptr; q++) {
    if (*q == '-')
      neg = true;
    else if (*q != '+')
      e = e * 10 + (*q - '0');
  }
  const int n = (neg ? -e : e) + 1;
  if (k <= n && n <= 21) {
    std::memcpy(p, digits, k);
    p += k;
    for (int i = k; i < n; i++) *p++ = '0';
  } else if (0 < n && n <= 21) {
    std::memcpy(p, digits, n);
    p += n;
    *p++ = '.';
    std::memcpy(p, digits + n, k - n);
    p += k - n;
  } else if (-6 < n && n <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -n; i++) *p++ = '0';
    std::memcpy(p, digits, k);
    p += k;
  } else {
    *p++ = digits[0];
    if (k > 1) {
      *p++ = '.';
      std::memcpy(p, digits + 1, k - 1);
      p += k - 1;
    }
    *p++ = 'e';
    *p++ = n - 1 < 0 ? '-' : '+';
    auto w = std::to_chars(p, p + 8, n - 1 < 0 ? 1 - n : n - 1);
    p = w.ptr;
  }
  return static_cast<int>(p - start);
}

// (values: Float64Array, n, out: Uint8Array, offset) -> the offset after "[v,v,...]", or -1 when
// out is too short (nothing meaningful written).
Napi::Value NumbersJson(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "numbersJson: expects a Float64Array and a Uint8Array");
  auto values = info[0].As<Napi::Float64Array>();
  auto out = info[2].As<Napi::Uint8Array>();
  const int64_t n = info[1].As<Napi::Number>().Int64Value();
  const int64_t offset = info[3].As<Napi::Number>().Int64Value();
  if (n < 0 || static_cast<size_t>(n) > values.ElementLength() || offset < 0 ||
      static_cast<size_t>(offset) > out.ElementLength())
    throw Napi::RangeError::New(env, "numbersJson: count or offset out of range");
  const double* v = values.Data();
  char* const base = reinterpret_cast<char*>(out.Data());
  char* const end = base + out.ElementLength();
  char* p = base + offset;
  if (p >= end) return Napi::Number::New(env, -1);
  *p++ = '[';
  char text[40];
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    // Equal as Object.is: 0 and -0 differ (both print 0 anyway), NaN equals NaN (null).
    while (j < n && std::memcmp(&v[j], &v[i], sizeof(double)) == 0) j++;
    const int len = formatNumber(v[i], text);
    text[len] = ',';
    if (end - p < (j - i) * (len + 1) + 1) return Napi::Number::New(env, -1);
    for (int64_t t = i; t < j; t++) {
      std::memcpy(p, text, len + 1);
      p += len + 1;
    }
    i = j;
  }
  if (n > 0) p--;  // the last comma
  if (p >= end) return Napi::Number::New(env, -1);
  *p++ = ']';
  return Napi::Number::New(env, static_cast<double>(p - base));
}

// (x) -> Number::toString(x) by formatNumber: how the tests compare it with JavaScript's.
Napi::Value NumberText(const Napi::CallbackInfo& info) {
  char text[40];
  const int len = formatNumber(info[0].As<Napi::Number>().DoubleValue(), text);
  return Napi::String::New(info.Env(), text, len);
}

}  // namespace
}  // namespace ecgtlc::json

Napi::Object InitJsonNumbers(Napi::Env env, Napi::Object exports) {
  using namespace ecgtlc::json;
  exports.Set("tlcNumbersJson", Napi::Function::New(env, NumbersJson));
  exports.Set("tlcNumberText", Napi::Function::New(env, NumberText));
  return exports;
}
