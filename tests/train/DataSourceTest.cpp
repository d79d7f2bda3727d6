// --data parsing: specs, errors, and the --limit view.
#include "runtime/Error.h"
#include "runtime/train/DataSource.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace netc::runtime::train {
namespace {

TEST(DataSource, UnknownSpecSaysWhatIsExpected) {
  try {
    openDataSource("imagenet");
    FAIL();
  } catch (const std::invalid_argument &e) {
    EXPECT_STREQ(e.what(),
                 "unknown data source 'imagenet'; expected fashion-mnist, cifar10:DIR or folder:DIR");
  }
  EXPECT_THROW(openDataSource("cifar10:"), std::invalid_argument);
}

TEST(DataSource, MissingFilesAreIoErrors) {
  EXPECT_THROW(openDataSource("fashion-mnist:/nonexistent"), IoError);
  EXPECT_THROW(openDataSource("cifar10:/nonexistent"), IoError);
  EXPECT_THROW(openDataSource("folder:/nonexistent"), IoError);
}

TEST(DataSource, FashionMnistWhenInstalled) {
  if (!std::filesystem::exists(kFashionMnistDir))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  DataSplits s = openDataSource(kDefaultDataSpec, false);
  EXPECT_EQ(s.train, nullptr);
  ASSERT_NE(s.test, nullptr);
  EXPECT_EQ(s.test->size(), 10000u);
  auto first = firstSamples(s.test, 100);
  EXPECT_EQ(first->size(), 100u);
  EXPECT_EQ(first->channels(), 1);
  data::Sample a, b;
  first->get(99, a);
  s.test->get(99, b);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_EQ(firstSamples(s.test, 0), s.test);
  EXPECT_EQ(firstSamples(s.test, 20000), s.test);
}

} // namespace
} // namespace netc::runtime::train
