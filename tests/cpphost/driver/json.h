// A small JSON reader/writer for the driver's scenario (stdin) and report (stdout). Only what the
// Node side sends: objects, arrays, strings (with \uXXXX escapes), numbers, booleans, null.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Value> a;
  std::map<std::string, Value> o;

  const Value &operator[](const std::string &k) const {
    static const Value null;
    auto it = o.find(k);
    return it == o.end() ? null : it->second;
  }
  bool has(const std::string &k) const { return kind == Object && o.count(k) > 0; }
  std::string str(const std::string &def = "") const { return kind == String ? s : def; }
  int64_t num(int64_t def = 0) const { return kind == Number ? static_cast<int64_t>(n) : def; }
  bool boolean(bool def = false) const { return kind == Bool ? b : def; }
};

class Parser {
public:
  explicit Parser(const std::string &t) : t_(t) {}
  Value parse() {
    Value v = value();
    ws();
    if (i_ != t_.size()) throw std::runtime_error("trailing characters in JSON");
    return v;
  }

private:
  const std::string &t_;
  size_t i_ = 0;
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) i_++;
  }
  char peek() {
    ws();
    if (i_ >= t_.size()) throw std::runtime_error("unexpected end of JSON");
    return t_[i_];
  }
  void expect(char c) {
    if (peek() != c) throw std::runtime_error(std::string("expected '") + c + "' in JSON");
    i_++;
  }
  static void utf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18)); out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < t_.size() && t_[i_] != '"') {
      char c = t_[i_++];
      if (c != '\\') { out += c; continue; }
      char e = t_[i_++];
      switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        uint32_t cp = std::stoul(t_.substr(i_, 4), nullptr, 16);
        i_ += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && t_.compare(i_, 2, "\\u") == 0) {
          uint32_t lo = std::stoul(t_.substr(i_ + 2, 4), nullptr, 16);
          i_ += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        utf8(out, cp);
        break;
      }
      default: out += e;
      }
    }
    expect('"');
    return out;
  }
  Value value() {
    Value v;
    char c = peek();
    if (c == '{') {
      v.kind = Value::Object;
      i_++;
      if (peek() == '}') { i_++; return v; }
      while (true) {
        std::string k = string();
        expect(':');
        v.o[k] = value();
        if (peek() == ',') { i_++; continue; }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Value::Array;
      i_++;
      if (peek() == ']') { i_++; return v; }
      while (true) {
        v.a.push_back(value());
        if (peek() == ',') { i_++; continue; }
        expect(']');
        return v;
      }
    }
    if (c == '"') { v.kind = Value::String; v.s = string(); return v; }
    if (t_.compare(i_, 4, "true") == 0) { i_ += 4; v.kind = Value::Bool; v.b = true; return v; }
    if (t_.compare(i_, 5, "false") == 0) { i_ += 5; v.kind = Value::Bool; return v; }
    if (t_.compare(i_, 4, "null") == 0) { i_ += 4; return v; }
    size_t end = i_;
    while (end < t_.size() && std::string("+-0123456789.eE").find(t_[end]) != std::string::npos) end++;
    if (end == i_) throw std::runtime_error("bad JSON value");
    v.kind = Value::Number;
    v.n = std::stod(t_.substr(i_, end - i_));
    i_ = end;
    return v;
  }
};

/** JSON string literal; bytes that are not valid printable ASCII are \u00XX escaped per byte. */
inline std::string quote(std::string_view s) {
  static const char *hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c < 0x20 || c >= 0x7f) { out += "\\u00"; out += hex[c >> 4]; out += hex[c & 15]; }
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

inline std::string toHex(std::string_view s) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) { out += hex[c >> 4]; out += hex[c & 15]; }
  return out;
}

inline std::string fromHex(const std::string &h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

} // namespace json
