// RE2 itself as a test oracle for shared/regex (built by tests/regex/re2.ts against Debian's
// libre2-dev when it is installed). Reads lines "P <hex pattern>" then "T <hex text>" ... and
// answers per pattern "E <code> <hex arg>" or "S <program size>", and per text "M <full> <partial>".
// Options are Envoy's: RE2(pattern, RE2::Quiet) (source/common/common/regex.cc).
#include <re2/re2.h>
#include <iostream>
#include <memory>
#include <string>

static std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}
static std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) { out.push_back(d[c >> 4]); out.push_back(d[c & 15]); }
  return out;
}

int main() {
  std::ios::sync_with_stdio(false);
  std::unique_ptr<re2::RE2> re;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.size() < 1) continue;
    std::string arg = line.size() > 2 ? line.substr(2) : "";
    if (line[0] == 'P') {
      re.reset(new re2::RE2(unhex(arg), re2::RE2::Quiet));
      if (!re->ok()) std::cout << "E " << re->error_code() << " " << hex(re->error_arg()) << "\n";
      else std::cout << "S " << re->ProgramSize() << "\n";
    } else if (line[0] == 'T') {
      std::string text = unhex(arg);
      if (!re || !re->ok()) { std::cout << "M - -\n"; continue; }
      std::cout << "M " << (re2::RE2::FullMatch(text, *re) ? 1 : 0) << " " << (re2::RE2::PartialMatch(text, *re) ? 1 : 0) << "\n";
    }
    std::cout.flush();
  }
  return 0;
}
