// The SVG primitives: escaping of every text they draw, empty and one-point series, log
// axis ticks, and values no canvas can hold.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>

#include "reports/charts/heatmap.h"
#include "reports/charts/line_chart.h"
#include "reports/charts/scale.h"
#include "reports/charts/svg_text.h"
#include "reports/charts/timeline.h"

namespace cairn::reports {
namespace {

// "nan" or "inf" as a word (an attribute's value, a coordinate), not inside one ("dominant").
bool has_non_finite(const std::string& svg) {
  static const std::regex word("(^|[^a-z])(nan|inf)([^a-z]|$)", std::regex::icase);
  return std::regex_search(svg, word);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(SvgText, EscapesMarkupQuotesAndControlBytes) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(xml_escape("tab\tnl\n"), "tab\tnl\n");
  EXPECT_EQ(xml_escape(std::string("x\x01y\x7f", 4)), "x\xEF\xBF\xBDy\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("h\xC3\xA9llo"), "h\xC3\xA9llo");            // valid UTF-8 stays
  EXPECT_EQ(xml_escape("\xC3"), "\xEF\xBF\xBD");                     // a cut sequence does not
  EXPECT_EQ(xml_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");     // nor an overlong one
  EXPECT_EQ(xml_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // nor a surrogate
}

TEST(SvgText, NumbersStayFiniteAndShort) {
  EXPECT_EQ(svg_number(1.0), "1");
  EXPECT_EQ(svg_number(2.345), "2.35");
  EXPECT_EQ(svg_number(-0.001), "0");
  EXPECT_EQ(svg_number(std::numeric_limits<double>::quiet_NaN()), "0");
  EXPECT_EQ(svg_number(1e308), "1000000");
  EXPECT_EQ(svg_number(-std::numeric_limits<double>::infinity()), "0");
}

TEST(Chart, EveryLabelIsEscaped) {
  LineChart c;
  c.title = "<script>alert(1)</script>";
  c.x_label = "x & y";
  c.y_label = "\"quoted\"";
  c.series = {{"<b>series</b>", {{1, 1}, {2, 3}}}};
  c.references = {{2, "<ref>"}};
  c.markers = {{1.5, "<kind>", "<detail>", "#d55e00"}};
  const std::string svg = render_line_chart(c);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_EQ(svg.find("<ref>"), std::string::npos);
  EXPECT_EQ(svg.find("<kind>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("x &amp; y"), std::string::npos);
  EXPECT_NE(svg.find("&lt;detail&gt;"), std::string::npos);
}

TEST(Chart, EmptySeriesDrawsAFrameAndSaysNoData) {
  LineChart c;
  c.title = "nothing";
  c.series = {{"empty", {}}};
  const std::string svg = render_line_chart(c);
  EXPECT_NE(svg.find("class=\"frame\""), std::string::npos);
  EXPECT_NE(svg.find(">no data<"), std::string::npos);
  EXPECT_NE(svg.find("empty (no data)"), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 0);
  EXPECT_FALSE(has_non_finite(svg));
}

TEST(Chart, OnePointIsADot) {
  LineChart c;
  c.series = {{"one", {{1024, 3.5}}}};
  c.log_x = c.x_is_bytes = true;
  const std::string svg = render_line_chart(c);
  EXPECT_EQ(count(svg, "<circle"), 1);
  EXPECT_EQ(svg.find(">no data<"), std::string::npos);
  EXPECT_FALSE(has_non_finite(svg));
}

TEST(Chart, NonFiniteAndHugeValuesNeverReachTheDrawing) {
  LineChart c;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  c.series = {{"wild", {{1, nan}, {2, inf}, {3, 1e308}, {4, -1e308}, {5, 1}}}};
  const std::string svg = render_line_chart(c);
  EXPECT_FALSE(has_non_finite(svg));
  EXPECT_EQ(count(svg, "<circle"), 3);  // the three finite points
}

TEST(Scale, LogTicksArePowersOfTwoLabelledAsSizes) {
  const auto ticks = log2_ticks(1024, 1 << 20, 12, true);
  ASSERT_EQ(ticks.size(), 11u);
  EXPECT_EQ(ticks.front().label, "1K");
  EXPECT_EQ(ticks[1].label, "2K");
  EXPECT_EQ(ticks.back().label, "1M");
  // Thinned to fit: every second power, still starting at the first.
  const auto few = log2_ticks(8, 1 << 30, 8, true);
  EXPECT_LE(few.size(), 8u);
  EXPECT_EQ(few.front().label, "8");
  EXPECT_EQ(few[1].value, 128);
  EXPECT_TRUE(log2_ticks(0, 10, 5, true).empty());
}

TEST(Scale, LinearTicksAreRoundAndInRange) {
  const auto ticks = linear_ticks(0, 3.7, 6);
  ASSERT_FALSE(ticks.empty());
  EXPECT_EQ(ticks.front().label, "0");
  for (const Tick& t : ticks) EXPECT_LE(t.value, 3.7);
  EXPECT_EQ(ticks[1].label, "1");
  EXPECT_LE(linear_ticks(-1e308, 1e308, 6).size(), 8u);
  EXPECT_TRUE(linear_ticks(1, 1, 6).empty());
}

TEST(Scale, MapsLinearAndLogAndWidensAnEmptyRange) {
  const Scale lin(0, 10, 100, 200, false);
  EXPECT_DOUBLE_EQ(lin(5), 150);
  const Scale log(1, 1024, 0, 100, true);
  EXPECT_DOUBLE_EQ(log(32), 50);
  EXPECT_DOUBLE_EQ(log(-3), 0);
  const Scale flat(5, 5, 0, 100, false);
  EXPECT_TRUE(std::isfinite(flat(5)));
  EXPECT_EQ(format_bytes(3 * 1048576.0), "3M");
  EXPECT_EQ(format_bytes(100), "100");
  EXPECT_EQ(format_value(2.1e9), "2.10e+09");
}

TEST(Heatmap, MarksCellsAndEscapesLabels) {
  Heatmap h;
  h.title = "pairs";
  h.row_labels = h.column_labels = {"<a>", "b"};
  h.cells = {{{"-"}, {"1.0"}}, {{"1.0"}, {"-"}}};
  h.cells[0][1].marked = true;
  const std::string svg = render_heatmap(h);
  EXPECT_EQ(count(svg, "class=\"cell\""), 4);
  EXPECT_EQ(count(svg, " !</text>"), 1);
  EXPECT_EQ(svg.find("<a>"), std::string::npos);
  Heatmap empty;
  EXPECT_NE(render_heatmap(empty).find(">no data<"), std::string::npos);
}

TEST(Timeline, DrawsAnEventPerKnownLane) {
  Timeline t;
  t.lanes = {"rank 0", "rank 1"};
  t.events = {{3, 1, "compute-slow", "#d55e00", "<evidence>"}, {4, 7, "lost", "#000", "beyond the lanes"}};
  const std::string svg = render_timeline(t);
  EXPECT_EQ(count(svg, "class=\"event\""), 1);
  EXPECT_NE(svg.find("&lt;evidence&gt;"), std::string::npos);
  Timeline none;
  EXPECT_NE(render_timeline(none).find(">no events<"), std::string::npos);
}

}  // namespace
}  // namespace cairn::reports
