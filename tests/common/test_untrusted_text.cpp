// common/untrusted_text.h: quoted excerpts and the one-line guard.
#include <gtest/gtest.h>

#include <string>

#include "common/untrusted_text.h"

namespace cairn {
namespace {

TEST(QuoteExcerpt, ShortTextIsQuotedWholeWithControlsEscaped) {
  EXPECT_EQ(quote_excerpt("0-3"), "\"0-3\"");
  EXPECT_EQ(quote_excerpt("a\nb\t\"c\"\\\x01\xff"), "\"a\\nb\\t\\\"c\\\"\\\\\\x01\\xff\"");
}

TEST(QuoteExcerpt, LongTextKeepsItsHeadAndSaysHowMuchWasCut) {
  const std::string q = quote_excerpt(std::string(20 << 20, 'z'));
  EXPECT_EQ(q, "\"" + std::string(kExcerptBytes, 'z') + "...\" (20971520 bytes, " +
                   std::to_string((20 << 20) - kExcerptBytes) + " not shown)");
}

TEST(OneLine, AShortMessageIsUnchanged) { EXPECT_EQ(one_line("x: no such file", 100), "x: no such file"); }

TEST(OneLine, NewlinesAreEscaped) { EXPECT_EQ(one_line("a\nb\r\n", 100), "a\\nb\\r\\n"); }

TEST(OneLine, ALongMessageKeepsItsHeadAndTail) {
  const std::string msg = "FILE: " + std::string(100000, 'x') + " give a file";
  const std::string line = one_line(msg, 200);
  EXPECT_LE(line.size(), 200u);
  EXPECT_EQ(line.rfind("FILE: ", 0), 0u) << line;
  EXPECT_EQ(line.substr(line.size() - 11), "give a file") << line;
  EXPECT_NE(line.find("[...]"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(OneLine, ACutNeverSplitsAUtf8Character) {
  std::string msg;
  for (int i = 0; i < 300; ++i) msg += "\xc3\xa9";  // é
  const std::string line = one_line(msg, 101);
  EXPECT_LE(line.size(), 101u);
  const auto marker = line.find(" [...] ");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_EQ(marker % 2, 0u) << "the head ends inside a character";
  EXPECT_EQ((line.size() - marker - 7) % 2, 0u) << "the tail starts inside a character";
}

}  // namespace
}  // namespace cairn
