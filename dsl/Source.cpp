#include "dsl/Source.h"

#include <fstream>
#include <sstream>

namespace netc::dsl {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n')
      lineStarts_.push_back(i + 1);
}

std::string SourceFile::lineText(int line) const {
  if (line < 1 || static_cast<size_t>(line) > lineStarts_.size())
    return "";
  size_t begin = lineStarts_[line - 1];
  size_t end = text_.find('\n', begin);
  if (end == std::string::npos)
    end = text_.size();
  if (end > begin && text_[end - 1] == '\r')
    --end;
  return text_.substr(begin, end - begin);
}

Diagnostic::Diagnostic(Loc loc, std::string message, std::string hint, int length)
    : std::runtime_error(message), loc(loc), message(std::move(message)),
      hint(std::move(hint)), length(length < 1 ? 1 : length) {}

namespace {

// Indentation that puts a caret under byte column `col` of `line`: tabs are
// kept (so the terminal expands them the same way) and every other UTF-8
// character becomes one space.
std::string caretPrefix(const std::string &line, int col) {
  std::string out;
  for (int i = 0; i + 1 < col && i < static_cast<int>(line.size()); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t')
      out += '\t';
    else if ((c & 0xC0) != 0x80) // not a UTF-8 continuation byte
      out += ' ';
  }
  return out;
}

void renderLocated(std::ostringstream &os, const SourceFile *file, Loc loc,
                   const char *kind, const std::string &message, int length) {
  if (file)
    os << file->name() << ':';
  if (loc.valid())
    os << loc.line << ':' << loc.col << ": ";
  else if (file)
    os << ' ';
  os << kind << ": " << message << '\n';
  if (!file || !loc.valid())
    return;
  std::string text = file->lineText(loc.line);
  os << text << '\n';
  os << caretPrefix(text, loc.col) << '^';
  int room = static_cast<int>(text.size()) - loc.col;
  for (int i = 1; i < length && i <= room; ++i)
    os << '~';
  os << '\n';
}

} // namespace

std::string render(const Diagnostic &d, const SourceFile *file) {
  std::ostringstream os;
  renderLocated(os, file, d.loc, "error", d.message, d.length);
  if (!d.hint.empty())
    os << "hint: " << d.hint << '\n';
  for (const Note &n : d.notes)
    renderLocated(os, file, n.loc, "note", n.message, 1);
  return os.str();
}

std::shared_ptr<SourceFile> readSourceFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Diagnostic({}, "cannot open '" + path + "'",
                     "check the path; netc reads .net text files");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    throw Diagnostic({}, "cannot read '" + path + "'");
  return std::make_shared<SourceFile>(path, ss.str());
}

} // namespace netc::dsl
