// A .net source file held in memory, and the diagnostics that point into it.
//
// Every error netc reports about a file goes through Diagnostic, so all of
// them share one format (file:line:col: error: ..., the line, a caret, a hint).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace netc::dsl {

/// A position in a source file: 1-based line and byte column.
struct Loc {
  int line = 0;
  int col = 0;
  bool valid() const { return line > 0; }
};

/// One source text, with line starts for printing diagnostics.
class SourceFile {
public:
  SourceFile(std::string name, std::string text);
  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }
  /// The text of line `line` (1-based) without its line ending.
  std::string lineText(int line) const;

private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

/// A secondary location shown under an error ("note: ...").
struct Note {
  Loc loc;
  std::string message;
};

/// A user-facing error about a source file. Thrown by the lexer, parser and
/// elaborator; rendered with render().
class Diagnostic : public std::runtime_error {
public:
  Diagnostic(Loc loc, std::string message, std::string hint = "", int length = 1);
  Loc loc;
  std::string message;
  std::string hint;
  int length; // caret underline length in bytes
  std::vector<Note> notes;
  Diagnostic &note(Loc at, std::string text) {
    notes.push_back({at, std::move(text)});
    return *this;
  }
};

/// Formats a diagnostic the way compilers do:
///   file:3:5: error: message
///   <source line>
///       ^~~~
///   hint: ...
/// `file` may be null for errors that are not about a file position.
std::string render(const Diagnostic &d, const SourceFile *file);

/// An error already rendered for the user (diagnostic text with location,
/// caret and hint). What the command-line tools print before exiting 1.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Reads a whole file; throws Diagnostic (without location) if it cannot.
std::shared_ptr<SourceFile> readSourceFile(const std::string &path);

} // namespace netc::dsl
